/**
 * pod-network: the OKD guide's second layer. A node whose pod-network paths fail while its host-network paths answer
 * is up and linked: its pod network (the CNI's bridge, veths, tunnel or VXLAN, IP forwarding for pods) is not. The
 * checks to its pods and those from its pod-network sources to other nodes' pods are explained here; when its host
 * paths fail too, node-unreachable has already named the node.
 */
import { sourceKey, type CheckRow } from '../../matrix.js';
import { CONTRAST_EVIDENCE, type DiagnoseContext, type RuleFinding } from '../context.js';
import { describeSources, distinct, groupBy, kindsText, plural, uniqueSources } from '../text.js';

const DROPPED = new Set(['timeout', 'no-route', 'other']);

/** Pod or host network: a target's layer, or what its kind implies (a node port is on the host network). */
export function layerOf(row: CheckRow): 'pod' | 'host' | undefined {
  if (row.target.layer) return row.target.layer;
  if (row.target.kind === 'node') return 'host';
  return row.target.kind === 'p2pnc-target' ? 'pod' : undefined;
}

export function podNetworkFindings(ctx: DiagnoseContext): RuleFinding[] {
  const results: RuleFinding[] = [];
  const toNodes = ctx.live.filter(
    (row) => row.target.node && row.state !== 'invalid' && !ctx.isSelf(row) && !ctx.explainedBy.has(row),
  );
  const hostSources = new Set(ctx.rows.filter((row) => row.vantage === 'host').map((row) => sourceKey(row.source)));
  for (const [node, rows] of groupBy(toNodes, (row) => row.target.node!)) {
    const podIn = rows.filter((row) => layerOf(row) === 'pod');
    if (podIn.length === 0 || !podIn.every((row) => ctx.isFailing(row))) continue;
    // A refusal, a TLS or HTTP answer came from the pod: the pod network delivered; its process is the culprit.
    if (!podIn.every((row) => DROPPED.has(row.lastFailure?.kind ?? 'other'))) continue;
    const hostOk = ctx.index
      .toNode(node)
      .filter((row) => layerOf(row) === 'host' && !ctx.isSelf(row) && ctx.isAnswering(row));
    if (hostOk.length === 0) continue;
    // The pod target answering on other nodes rules out the target itself being down everywhere.
    const elsewhere = distinct(podIn.map((row) => row.target.name)).flatMap(
      (target) => ctx.answeringElsewhere(target, node).first,
    );
    if (elsewhere.length === 0) continue;
    const onNode = new Set(ctx.sourcesOn(node).filter((key) => !hostSources.has(key)));
    const outbound = ctx.live.filter(
      (row) =>
        onNode.has(sourceKey(row.source)) &&
        layerOf(row) === 'pod' &&
        !ctx.isSelf(row) &&
        ctx.isFailing(row) &&
        !ctx.explainedBy.has(row),
    );
    // Pod sources on the node that cannot reach the API server either: the same fault, explained here.
    const quietPods = ctx
      .sourcesOn(node)
      .filter((key) => ctx.sources.get(key)?.liveness?.state === 'quiet' && !hostSources.has(key));
    const observers = uniqueSources(podIn);
    const observerNodes = distinct(podIn.map((row) => ctx.runsOn(row) ?? sourceKey(row.source)));
    const explains = [...podIn, ...outbound];
    const contrast = [...hostOk.slice(0, 2), ...elsewhere.slice(0, 1)].slice(0, CONTRAST_EVIDENCE);
    results.push({
      finding: ctx.finding({
        severity: 'critical',
        rule: 'pod-network',
        culprit: `pod network on node ${node} (SDN/overlay): the node is up, its pods are cut off`,
        confidence: observerNodes.length >= 2 || outbound.length > 0 || quietPods.length > 0 ? 'high' : 'low',
        summary:
          `Every pod-network check to ${node} fails (${plural(podIn.length, 'check')} from ${describeSources(observers)}, ${kindsText(podIn)}), ` +
          `while its host-network checks answer (${plural(hostOk.length, 'check')}) and the same target answers on other nodes: ` +
          `${node} and its link are up, the pod network on it is not (the CNI's bridge, veth, tunnel or VXLAN device, or IP forwarding for pods).` +
          (outbound.length > 0
            ? ` Pod-network probes from ${node} to other nodes' pods fail too (${plural(outbound.length, 'check')}).`
            : '') +
          (quietPods.length > 0
            ? ` Its pod-network source${quietPods.length === 1 ? ' is' : 's are'} quiet (${describeSources(quietPods.map((key) => ctx.sources.get(key)!.source))}): from the pod network the API server is out of reach too.`
            : ''),
        evidence: [
          ...explains.map((row) => ctx.failingEvidence(row)),
          ...contrast.map((row) => ctx.answeringEvidence(row)),
        ],
        observers: ctx.observers([...explains, ...contrast], [], quietPods),
        next: [
          `kubectl get pods -A -o wide --field-selector spec.nodeName=${node}   # the CNI agent on ${node}: running and ready?`,
          `ip -d link show; ip route   # on ${node}: the pod bridge, the tunnel device, their state and MTU`,
          `sysctl net.ipv4.ip_forward   # on ${node}: must be 1 for pod traffic`,
          `iptables-save | grep -i -e DROP -e REJECT | head -20   # on ${node}: rules dropping pod traffic`,
        ],
      }),
      explains,
      explainsSources: quietPods,
      ownSide: distinct(outbound.map((row) => sourceKey(row.source))),
    });
  }
  return results;
}

import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ENV } from '../api/constants.js';
import { RESTRICTED_CONTAINER, RESTRICTED_POD, restrictPodSecurity } from './hardening.js';
import { useHostNetwork } from './host-network.js';
import { commonLabels } from './labels.js';
import { placeOnNodes } from './source-workload.js';

export interface TargetWorkloadProps {
  readonly name: string;
  readonly namespace: string;
  readonly image: string;
  /** Port the responder listens on in the pod. */
  readonly port: number;
  /** Port of the target Service. */
  readonly servicePort: number;
  readonly serviceAccount: kplus.IServiceAccount;
  /** @default 5m */
  readonly cpuRequest?: kplus.Cpu;
  /** @default 16Mi */
  readonly memoryRequest?: Size;
  /** @default 64Mi */
  readonly memoryLimit?: Size;
  /** Answer on the node's own addresses (host network) instead of a pod's; no Service then. @default false */
  readonly hostNetwork?: boolean;
}

/** The responder on every Linux node, tolerating every taint, behind a ClusterIP Service. It needs no API access. */
export class TargetWorkload extends Construct {
  readonly daemonSet: kplus.DaemonSet;
  /** The Service of the pod-network target (none for the host-network one). */
  readonly service?: kplus.Service;

  constructor(scope: Construct, id: string, props: TargetWorkloadProps) {
    super(scope, id);
    const labels = { ...commonLabels('target', props.name) };
    this.daemonSet = new kplus.DaemonSet(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, labels },
      podMetadata: { labels },
      select: false,
      serviceAccount: props.serviceAccount,
      automountServiceAccountToken: false,
      securityContext: RESTRICTED_POD,
      containers: [
        {
          name: 'target',
          image: props.image,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          args: ['target', '--port', String(props.port)],
          // The UDP echo of udp probes listens on the same port number.
          ports: [
            { name: 'probe', number: props.port },
            { name: 'probe-udp', number: props.port, protocol: kplus.Protocol.UDP },
          ],
          envVariables: {
            [ENV.podName]: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
            [ENV.nodeName]: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.NODE_NAME),
          },
          resources: {
            cpu: { request: props.cpuRequest ?? kplus.Cpu.millis(5) },
            memory: {
              request: props.memoryRequest ?? Size.mebibytes(16),
              limit: props.memoryLimit ?? Size.mebibytes(64),
            },
          },
          readiness: kplus.Probe.fromHttpGet('/', { port: props.port }),
          // A responder whose event loop hangs answers nothing: restarted rather than left to fail every check.
          liveness: kplus.Probe.fromHttpGet('/healthz', { port: props.port, periodSeconds: Duration.seconds(20) }),
          securityContext: RESTRICTED_CONTAINER,
        },
      ],
    });
    this.daemonSet.select(
      kplus.LabelSelector.of({
        labels: { 'app.kubernetes.io/instance': props.name, 'app.kubernetes.io/component': 'target' },
      }),
    );
    this.daemonSet.scheduling.tolerate(kplus.Node.tainted(kplus.NodeTaintQuery.any()));
    placeOnNodes(this.daemonSet);
    restrictPodSecurity(this.daemonSet);
    if (props.hostNetwork) {
      useHostNetwork(this.daemonSet);
      return;
    }

    this.service = new kplus.Service(this, 'Service', {
      metadata: { name: props.name, namespace: props.namespace, labels },
      type: kplus.ServiceType.CLUSTER_IP,
      selector: this.daemonSet,
      ports: [
        { name: 'probe', port: props.servicePort, targetPort: props.port },
        { name: 'probe-udp', port: props.servicePort, targetPort: props.port, protocol: kplus.Protocol.UDP },
      ],
    });
  }
}

/** Builds the cdk8s app for a topology and writes dist/: the one code path of both `p2pnc synth` and `cdk8s synth`. */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, YamlOutputType } from 'cdk8s';
import { stringify } from 'yaml';
import { expand, type PlannedCheck } from '../src/topology/expand.js';
import type { Topology } from '../src/topology/schema.js';
import { ChecksChart } from './checks-chart.js';
import { FoundationChart } from './foundation-chart.js';
import { MonitoringChart, monitoringEnabled } from './monitoring-chart.js';
import { RbacChart } from './rbac-chart.js';
import { GENERATED_MARKER, KUSTOMIZATION_FILE, prepareStaging, replaceFolder } from './output-folder.js';
import { SidecarPatchChart } from './sidecar-patch-chart.js';
import { otherNamespaces, SIDECAR_PATCH_FILE, sidecarPatchChartId } from './vantage.js';
import { WorkloadsChart } from './workloads-chart.js';

export function buildApp(topology: Topology, outdir: string, checks: readonly PlannedCheck[] = expand(topology)): App {
  const app = new App({ outdir, outputFileExtension: '.yaml', yamlOutputType: YamlOutputType.FILE_PER_CHART });
  new FoundationChart(app, 'foundation', topology);
  const rbac = new RbacChart(app, 'rbac', topology, checks);
  new WorkloadsChart(app, 'workloads', topology, checks, {
    sourceAccounts: rbac.sourceAccounts,
    targetAccount: rbac.targetAccount,
    ...(rbac.hostTargetAccount ? { hostTargetAccount: rbac.hostTargetAccount } : {}),
  });
  new ChecksChart(app, 'checks', topology, checks);
  if (monitoringEnabled(topology)) new MonitoringChart(app, 'monitoring', topology, checks);
  for (const source of topology.sources)
    if (source.kind === 'Sidecar') new SidecarPatchChart(app, sidecarPatchChartId(source.name), topology, source);
  return app;
}

export interface SynthResult {
  outdir: string;
  files: string[];
  checks: number;
}

/**
 * Synthesizes into a staging folder next to `outdir`, then swaps it in: a failure leaves the old dist/ intact,
 * and files of deleted targets or charts never linger. Only a missing or empty folder, or one p2pnc wrote, is
 * replaced (see output-folder.ts); anything else is refused before anything is written.
 */
export function synthesize(topology: Topology, outdir: string): SynthResult {
  const checks = expand(topology);
  const { target, staging } = prepareStaging(outdir);
  try {
    const app = buildApp(topology, staging, checks);
    app.synth();
    const files = app.charts.map((chart) => `${chart.node.id}.yaml`).filter((file) => existsSync(join(staging, file)));
    writeFileSync(join(staging, KUSTOMIZATION_FILE), kustomization(topology, files));
    replaceFolder(staging, target);
    return { outdir: target, files: [...files, KUSTOMIZATION_FILE], checks: checks.length };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function kustomization(topology: Topology, files: string[]): string {
  return (
    `${GENERATED_MARKER}\n` +
    stringify({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      // With objects in other namespaces (host, sidecars) a kustomize namespace would move them all into this one.
      ...(otherNamespaces(topology).length === 0 ? { namespace: topology.namespace } : {}),
      // A sidecar's patch is for the workload's own kustomization, not a resource of this one.
      resources: files.filter((file) => !SIDECAR_PATCH_FILE.test(file)),
    })
  );
}

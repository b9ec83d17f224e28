import { ApiObject, Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { sidecarPatch } from '../src/constructs/sidecar-source.js';
import type { SidecarSource, Topology } from '../src/topology/schema.js';

/**
 * A sidecar source's strategic-merge patch, alone in its file: the user lists it under `patches:` in the kustomization
 * of the workload it names. Not a resource of dist/ (applied alone it would be a partial workload).
 */
export class SidecarPatchChart extends Chart {
  constructor(scope: Construct, id: string, topology: Topology, source: SidecarSource, props: ChartProps = {}) {
    super(scope, id, props);
    const patch = sidecarPatch(source.workload, {
      source: source.name,
      image: topology.image,
      containerName: source.workload.container,
      ...(source.metricsPort ? { metricsPort: source.metricsPort } : {}),
    });
    new ApiObject(this, 'Patch', patch as ConstructorParameters<typeof ApiObject>[2]);
  }
}

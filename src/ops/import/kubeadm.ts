/** The facts `p2pnc import` uses from kubeadm's ClusterConfiguration (kube-system/kubeadm-config). */
import { parse } from 'yaml';

export interface KubeadmFacts {
  clusterName?: string;
  controlPlaneEndpoint?: string;
  dnsDomain?: string;
  externalEtcdEndpoints: string[];
}

interface RawClusterConfiguration {
  clusterName?: unknown;
  controlPlaneEndpoint?: unknown;
  networking?: { dnsDomain?: unknown };
  etcd?: { external?: { endpoints?: unknown } };
}

export function parseClusterConfiguration(text: string | undefined, notes: string[]): KubeadmFacts {
  if (text === undefined) return { externalEtcdEndpoints: [] };
  let raw: RawClusterConfiguration;
  try {
    raw = (parse(text) ?? {}) as RawClusterConfiguration;
  } catch (error) {
    notes.push(
      `kube-system/kubeadm-config: ClusterConfiguration is not valid YAML (${(error as Error).message.split('\n')[0]}); ignored`,
    );
    return { externalEtcdEndpoints: [] };
  }
  const endpoints = raw.etcd?.external?.endpoints;
  return {
    ...(nonEmpty(raw.clusterName) ? { clusterName: nonEmpty(raw.clusterName) } : {}),
    ...(nonEmpty(raw.controlPlaneEndpoint) ? { controlPlaneEndpoint: nonEmpty(raw.controlPlaneEndpoint) } : {}),
    ...(nonEmpty(raw.networking?.dnsDomain) ? { dnsDomain: nonEmpty(raw.networking?.dnsDomain) } : {}),
    externalEtcdEndpoints: Array.isArray(endpoints)
      ? endpoints.filter((entry): entry is string => typeof entry === 'string')
      : [],
  };
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

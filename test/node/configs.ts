/** The node bed's configuration files, each the smallest that works on these machines (see test/node/README.md). */

export interface BedLayout {
  /** The bed's working directory. */
  dir: string;
  bridge: string;
  /** The bridge's address: API server, CoreDNS, kubelet and node InternalIP all use it. */
  nodeIp: string;
  /** Prefix length of the pod subnet on the bridge. */
  prefix: number;
  podSubnet: string;
  clusterDomain: string;
  /** Part of the subnet the pods get (default all of it). */
  rangeStart?: string;
  rangeEnd?: string;
}

export const paths = (dir: string) => ({
  containerdConfig: `${dir}/containerd.toml`,
  containerdSocket: `${dir}/containerd.sock`,
  runcRoot: `${dir}/runc`,
  cniConfDir: `${dir}/cni`,
  corefile: `${dir}/Corefile`,
  kubeletConfig: `${dir}/kubelet.yaml`,
  kubeletRoot: `${dir}/kubelet`,
  resolvConf: `${dir}/resolv.conf`,
  auditPolicy: `${dir}/audit-policy.yaml`,
  auditLog: `${dir}/audit.log`,
});

/**
 * containerd 1.6 (Debian's): CRI with the local pause image, runc under cgroupfs, no AppArmor, and
 * restrict_oom_score_adj (root here lacks CAP_SYS_RESOURCE, so runc cannot set the sandbox's -998). Every path is
 * under the bed's directory, so nothing outside it is written but the CNI network namespaces.
 */
export function containerdConfig(dir: string, sandboxImage: string): string {
  const p = paths(dir);
  return `version = 2
root = "${dir}/containerd/root"
state = "${dir}/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "${p.containerdSocket}"

[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "${dir}/containerd/opt"
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "${sandboxImage}"
    restrict_oom_score_adj = true
    disable_apparmor = true
    enable_selinux = false
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "${p.cniConfDir}"
      max_conf_num = 1
    [plugins."io.containerd.grpc.v1.cri".containerd]
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          SystemdCgroup = false
          Root = "${p.runcRoot}"
`;
}

/**
 * The bridge plugin on the bridge the bed created beforehand, isGateway false (it would turn on global
 * ip_forward): the pods' default route points at the bridge's address through IPAM's routes instead.
 */
export function cniConfig(l: BedLayout): string {
  return JSON.stringify(
    {
      cniVersion: '0.4.0',
      name: 'p2pnc-node-bed',
      plugins: [
        {
          type: 'bridge',
          bridge: l.bridge,
          isGateway: false,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            dataDir: `${l.dir}/cni-ipam`,
            ranges: [
              [
                {
                  subnet: l.podSubnet,
                  gateway: l.nodeIp,
                  ...(l.rangeStart ? { rangeStart: l.rangeStart, rangeEnd: l.rangeEnd } : {}),
                },
              ],
            ],
            routes: [{ dst: '0.0.0.0/0', gw: l.nodeIp }],
          },
        },
      ],
    },
    null,
    2,
  );
}

/** Cluster DNS on the bridge address, from the API server; nothing forwarded, so no query leaves the machine. */
export function corefile(l: BedLayout, kubeconfig: string): string {
  return `.:53 {
    bind ${l.nodeIp}
    errors
    kubernetes ${l.clusterDomain} in-addr.arpa ip6.arpa {
        kubeconfig ${kubeconfig} test
        pods insecure
        ttl 5
    }
}
`;
}

export interface KubeletPorts {
  port: number;
  healthzPort: number;
  /** Cluster DNS (default the node's address). */
  dnsIp?: string;
}

/**
 * cgroupfs without QoS cgroups (no systemd, cgroup v1 here), no swap or cgroup v1 refusal, no image GC (nothing can
 * be pulled back), no eviction, anonymous read access for `kubectl logs` (the API server presents no client
 * certificate), the bed's resolv.conf (no host search domains in pods).
 */
export function kubeletConfig(l: BedLayout, ports: KubeletPorts): string {
  const p = paths(l.dir);
  return JSON.stringify(
    {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      address: l.nodeIp,
      port: ports.port,
      readOnlyPort: 0,
      healthzBindAddress: '127.0.0.1',
      healthzPort: ports.healthzPort,
      containerRuntimeEndpoint: `unix://${p.containerdSocket}`,
      cgroupDriver: 'cgroupfs',
      cgroupsPerQOS: false,
      enforceNodeAllocatable: [],
      failSwapOn: false,
      failCgroupV1: false,
      clusterDNS: [ports.dnsIp ?? l.nodeIp],
      clusterDomain: l.clusterDomain,
      resolvConf: p.resolvConf,
      authentication: { anonymous: { enabled: true }, webhook: { enabled: false } },
      authorization: { mode: 'AlwaysAllow' },
      imageGCHighThresholdPercent: 100,
      imageGCLowThresholdPercent: 99,
      evictionHard: { 'memory.available': '0%', 'nodefs.available': '0%', 'imagefs.available': '0%' },
      podLogsDir: `${l.dir}/pod-logs`,
      volumePluginDir: `${l.dir}/volume-plugins`,
      serializeImagePulls: false,
      nodeStatusUpdateFrequency: '5s',
    },
    null,
    2,
  );
}

/** Records who writes check status (the `p2pnc.io` group only), so a test can prove the writer's identity. */
export const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    verbs: [patch, update]
    resources:
      - group: p2pnc.io
  - level: None
`;

#!/usr/bin/env bash
# podman with the settings this project's machines need; build.sh and test/image/ run podman only through this.
#  - runc and cgroupfs: no systemd here and cgroups v1 on some machines.
#  - default_ulimits = []: podman's default nofile rlimit cannot be set inside these VMs
#    ("error setting rlimit type 7: operation not permitted").
#  - overlay storage (podman's own default as root, so plain `podman images` sees the same images);
#    set P2PNC_PODMAN_STORAGE_DRIVER=vfs where the kernel cannot mount overlay (e.g. inside a container).
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
conf_dir="${P2PNC_PODMAN_CONF_DIR:-$repo_root/.cache/podman}"
conf="$conf_dir/containers.conf"
wanted='[containers]
default_ulimits = []

[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
events_logger = "file"'
if [[ ! -f "$conf" || "$(cat "$conf")" != "$wanted" ]]; then
  mkdir -p "$conf_dir"
  printf '%s\n' "$wanted" >"$conf.$$" && mv -f "$conf.$$" "$conf"
fi
export CONTAINERS_CONF="$conf"
exec podman --runtime runc --cgroup-manager=cgroupfs --storage-driver "${P2PNC_PODMAN_STORAGE_DRIVER:-overlay}" "$@"

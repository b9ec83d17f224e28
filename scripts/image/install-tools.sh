#!/usr/bin/env bash
# Installs what scripts/image/build.sh and test/image/ use (podman, buildah, runc, ...) from Debian.
set -euo pipefail
# runc: podman's runtime here (crun is not required); uidmap: newuidmap for podman's user namespaces;
# fuse-overlayfs: lets overlay storage work where the kernel's overlay cannot be mounted (vfs always works).
exec bash "$(dirname "$0")/../ci/apt-ensure.sh" "image tools" podman buildah runc uidmap fuse-overlayfs containernetworking-plugins

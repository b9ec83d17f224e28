#!/usr/bin/env bash
# Installs what scripts/image/build.sh and test/image/ use (podman, buildah, runc, ...) from Debian.
# Idempotent: installs only what is missing, so a second run is a no-op and needs no network.
set -euo pipefail
# runc: podman's runtime here (crun is not required); uidmap: newuidmap for podman's user namespaces;
# fuse-overlayfs: lets overlay storage work where the kernel's overlay cannot be mounted (vfs always works).
packages=(podman buildah runc uidmap fuse-overlayfs containernetworking-plugins)
missing=()
for package in "${packages[@]}"; do
  # Not `dpkg -s`: it succeeds for removed packages whose config files remain.
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null)" == installed ]] || missing+=("$package")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "image tools present: ${packages[*]}"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${missing[*]} (install them as root: apt-get install ${missing[*]})" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "image tools installed: ${missing[*]}"

#!/usr/bin/env bash
# Installs the given Debian packages that are not installed yet; a second run is a no-op and needs no network.
# Usage: apt-ensure.sh <what they are for> package...
set -euo pipefail
purpose="$1"
shift
missing=()
for package in "$@"; do
  # Not `dpkg -s`: it succeeds for removed packages whose config files remain.
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null)" == installed ]] || missing+=("$package")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "$purpose: present ($*)"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "$purpose: missing Debian packages ${missing[*]}; install them as root: apt-get install ${missing[*]}" >&2
  exit 1
fi
# Tools only: keep packages that ship a service (prometheus) from starting it on the CI machine.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "$purpose: installed ${missing[*]}"

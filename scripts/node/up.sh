#!/usr/bin/env bash
# Brings the real node bed up (control plane, CoreDNS, containerd, kubelet, kube-proxy; node Ready) and keeps it up
# until Ctrl-C, which brings it down and restores the host. Usage: up.sh [nodes] (default 1; further nodes each run
# in a network namespace of their own). Root only. Builds what is missing first (build.sh --image).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/node/build.sh --image
exec node --import tsx test/node/cli.ts up "${1:-1}"

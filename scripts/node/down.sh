#!/usr/bin/env bash
# Undoes whatever a node bed left on this machine (processes by their recorded ids, containers, CNI network
# namespaces, mounts, iptables chains, the pod bridge, the sysctls the kubelet changed), from its state file. Refuses
# while a bed is up (it holds the lock) unless --force.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec node --import tsx test/node/cli.ts down "$@"

#!/usr/bin/env bash
# Every Debian package the test suites use (CI and fresh developer machines run this as root).
set -euo pipefail
here="$(dirname "$0")"
# One apt-ensure call, so a fresh machine runs `apt-get update` once for all of them:
#   iproute2: network namespaces for probe and fault tests; openssl, ca-certificates: test certificates;
#   lua5.1: runs the Argo CD health check (Argo CD embeds gopher-lua, Lua 5.1);
#   prometheus: promtool checks and unit-tests the alert rules;
#   chromium-headless-shell: renders the HTML report and takes the screenshot its test checks;
#   containerd, runc, containernetworking-plugins, iptables, conntrack: the real node of test/node/ (container
#   runtime, pod network, kube-proxy's Service rules);
#   gcc, libc6-dev: compile native/icmp (the ping-socket addon of icmp probes).
bash "$here/apt-ensure.sh" "test tools" iproute2 openssl ca-certificates lua5.1 prometheus chromium-headless-shell \
  containerd runc containernetworking-plugins iptables conntrack gcc libc6-dev
bash "$here/../image/install-tools.sh"

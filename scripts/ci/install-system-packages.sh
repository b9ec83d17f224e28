#!/usr/bin/env bash
# Every Debian package the test suites use (CI and fresh developer machines run this as root).
set -euo pipefail
here="$(dirname "$0")"
# iproute2: network namespaces for probe and fault tests; openssl: test certificates.
bash "$here/apt-ensure.sh" "test tools" iproute2 openssl ca-certificates
bash "$here/../image/install-tools.sh"

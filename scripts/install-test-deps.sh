#!/usr/bin/env bash
# Install the real components the test suite runs against, when they are missing (idempotent; root or sudo):
#   samba (smbd, pdbedit) and smbclient   the SMB tests' server (tests/fixtures/samba.py) and the share benchmark
#   restic, borgbackup, zstd, GNU time    the peers and measurements of the benchmark smoke test
#   faketime (libfaketime)                the scheduler tests' compressed clock (tests/fixtures/clock.py)
#   prometheus, prometheus-alertmanager   the metrics and alert tests' servers (tests/fixtures/prometheus.py),
#                                         and promtool for the metric and rule checks; never started as services
# Nothing is started or configured: the test fixtures run their own smbd on loopback.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }

declare -A need=()
have smbd || need[samba]=1
have pdbedit || need[samba]=1
have smbclient || need[smbclient]=1
have restic || need[restic]=1
have borg || need[borgbackup]=1
have zstd || need[zstd]=1
[ -x /usr/bin/time ] || need[time]=1
have faketime || need[faketime]=1
have prometheus || need[prometheus]=1
have promtool || need[prometheus]=1
have prometheus-alertmanager || need[prometheus-alertmanager]=1

if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "install-test-deps: need root (or sudo) to install: ${!need[*]}" >&2
    exit 1
fi
echo "== installing ${!need[*]}" >&2
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# Package scripts must not start Prometheus or Alertmanager as services (on all interfaces): the tests start
# their own on loopback. policy-rc.d denies service starts while the packages install.
own_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${as_root[@]}" chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
fi
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${!need[@]}" >/dev/null
[ -z "$own_policy" ] || "${as_root[@]}" rm -f /usr/sbin/policy-rc.d
have smbd || { echo "install-test-deps: smbd is still missing after installing samba" >&2; exit 1; }

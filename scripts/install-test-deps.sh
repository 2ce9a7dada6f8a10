#!/usr/bin/env bash
# Install the real components the test suite runs against, when they are missing (idempotent; root or sudo):
#   samba (smbd, pdbedit) and smbclient   the SMB tests' server (tests/fixtures/samba.py) and the share benchmark
#   restic, borgbackup, zstd, GNU time    the peers and measurements of the benchmark smoke test
#   faketime (libfaketime)                the scheduler tests' compressed clock (tests/fixtures/clock.py)
#   nodejs, npm, then Azurite 3.35.0      the blob tests' storage emulator (tests/fixtures/azurite.py), installed
#                                         with `npm ci` from tests/azurite/package-lock.json into tests/azurite/
#   prometheus, prometheus-alertmanager   the metrics and alert tests' servers (tests/fixtures/prometheus.py),
#                                         and promtool for the metric and rule checks; never started as services
#   strace                                the restore durability test watches the engine's own system calls
# Nothing is started or configured: the test fixtures run their own smbd, Azurite, Prometheus and Alertmanager
# on loopback.
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
have node || need[nodejs]=1
have npm || need[npm]=1
have strace || need[strace]=1

# Azurite 3.36 and later need Node 22; the lock file pins 3.35.0, which runs on Debian's Node 20.
azurite_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/azurite"
install_azurite() {
    grep -q '"version": "3.35.0"' "$azurite_dir/node_modules/azurite/package.json" 2>/dev/null && return 0
    echo "== installing Azurite 3.35.0 (npm ci in $azurite_dir)" >&2
    (cd "$azurite_dir" && npm ci --omit=dev --no-audit --no-fund --loglevel=error >/dev/null)
    [ -x "$azurite_dir/node_modules/.bin/azurite-blob" ] || { echo "install-test-deps: azurite-blob is missing after npm ci" >&2; exit 1; }
}

if [ ${#need[@]} -eq 0 ]; then
    install_azurite
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
install_azurite

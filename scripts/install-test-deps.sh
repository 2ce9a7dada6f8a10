#!/usr/bin/env bash
# Install the real components the test suite runs against, when they are missing (idempotent; root or sudo):
#   samba (smbd, pdbedit) and smbclient   the SMB tests' server (tests/fixtures/samba.py) and the share benchmark
#   restic, borgbackup, zstd, GNU time    the peers and measurements of the benchmark smoke test
#   faketime (libfaketime)                the scheduler tests' compressed clock (tests/fixtures/clock.py)
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
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${!need[@]}" >/dev/null
have smbd || { echo "install-test-deps: smbd is still missing after installing samba" >&2; exit 1; }

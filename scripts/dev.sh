#!/usr/bin/env bash
# Set up a development environment and run azsbackup's main entry points.
#
#   scripts/dev.sh quickstart        set up, then run `azsbackup quickstart` (the embedded default)
#   scripts/dev.sh test [ARGS]       set up (incl. Samba), then the whole suite: lint, types, layers, every test
#   scripts/dev.sh test-quick [ARGS] the same without the tests marked slow
#   scripts/dev.sh shell             set up, then print how to activate the virtual environment
#
# Works on a fresh Debian/Ubuntu machine with Python >= 3.11 (as root, or with sudo for apt-get).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=${AZSBACKUP_VENV:-$ROOT/.venv}

apt_install() {
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    if [ -z "${_APT_UPDATED:-}" ]; then
        $sudo apt-get update -qq
        _APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

ensure_venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
            echo "== installing python3-venv" >&2
            apt_install python3-venv
        fi
        python3 -m venv "$VENV"
    fi
    local stamp="$VENV/.azsbackup-installed" want
    want=$(cat pyproject.toml | sha256sum | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        echo "== installing azsbackup and its dependencies into $VENV" >&2
        "$VENV/bin/python" -m pip install -q --upgrade pip
        "$VENV/bin/python" -m pip install -q -e ".[dev]"
        echo "$want" > "$stamp"
    fi
}

run_pytest() {
    local rc=0
    "$VENV/bin/python" -m pytest "$@" || rc=$?
    if [ "$rc" -eq 5 ]; then
        echo "pytest collected no tests: treating as a failure" >&2
        return 1
    fi
    return "$rc"
}

run_checks() {
    echo "== ruff" >&2
    "$VENV/bin/ruff" check azsbackup tests bench
    "$VENV/bin/ruff" format --check azsbackup tests bench
    echo "== mypy --strict" >&2
    "$VENV/bin/mypy"
    echo "== import-linter (the layers of docs/design.md)" >&2
    "$VENV/bin/lint-imports" --no-cache
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
    quickstart)
        ensure_venv
        exec "$VENV/bin/azsbackup" quickstart "$@"
        ;;
    test)
        ensure_venv
        scripts/install-test-deps.sh
        run_checks
        run_pytest "$@"
        ;;
    test-quick)
        ensure_venv
        scripts/install-test-deps.sh
        run_pytest -m "not slow" "$@"
        ;;
    shell)
        ensure_venv
        echo "source $VENV/bin/activate"
        ;;
    *)
        sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
        exit 2
        ;;
esac

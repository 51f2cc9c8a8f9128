#!/usr/bin/env bash
# Creates (or updates) the two Python environments the tests use, from
# pinned requirements. Idempotent: each is reinstalled only when its
# requirements changed. `npm test` (test/global-setup.ts) and
# `npm run generate` run it.
#
# - .venv:       grpcio-tools for `npm run generate`, the Python client's
#                test tools, and agno 1.8.4 (the Agno 1.x adapter and
#                `memoryd import` from Agno 1.x);
# - .venv-agno3: the same client test tools with agno 3.1.10 and AgentOS
#                (the Agno 3 adapter and `memoryd import` from Agno 3).
#                Two environments because both Agnos are the package `agno`.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() {
  echo "scripts/python-venv.sh: $*" >&2
  exit 1
}
command -v python3 >/dev/null || fail "python3 not found: install Python 3.9 or newer with its venv module (Debian/Ubuntu: apt-get install python3 python3-venv)"

# ensure_venv DIR REQUIREMENTS...
ensure_venv() {
  local dir=$1
  shift
  local stamp="$dir/.requirements.sha256" wanted
  wanted=$(cat "$@" | sha256sum | cut -d' ' -f1)
  if [ -x "$dir/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    return 0
  fi
  echo "scripts/python-venv.sh: installing $* into $dir (once, and again when they change)" >&2
  python3 -m venv "$dir" || fail "'python3 -m venv $dir' failed: install Python's venv module (Debian/Ubuntu: apt-get install python3-venv)"
  "$dir/bin/pip" install --quiet --disable-pip-version-check $(printf -- '-r %s ' "$@") ||
    fail "pip could not install $* into $dir (is PyPI reachable?)"
  echo "$wanted" > "$stamp"
}

ensure_venv .venv clients/python/requirements-dev.txt clients/python/requirements-agno.txt
ensure_venv .venv-agno3 clients/python/requirements-dev.txt clients/python/requirements-agno3.txt

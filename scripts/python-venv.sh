#!/usr/bin/env bash
# Creates (or updates) .venv with the pinned Python tools: grpcio-tools for
# `npm run generate`, and the Python client's test dependencies. Idempotent:
# it reinstalls only when a requirements file changed. `npm test`
# (test/global-setup.ts) and `npm run generate` run it.
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=(clients/python/requirements-dev.txt)
[ -f clients/python/requirements-agno.txt ] && requirements+=(clients/python/requirements-agno.txt)
stamp=.venv/.requirements.sha256
wanted=$(cat "${requirements[@]}" | sha256sum | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  exit 0
fi
fail() {
  echo "scripts/python-venv.sh: $*" >&2
  exit 1
}
command -v python3 >/dev/null || fail "python3 not found: install Python 3.9 or newer with its venv module (Debian/Ubuntu: apt-get install python3 python3-venv)"
echo "scripts/python-venv.sh: installing ${requirements[*]} into .venv (once, and again when they change)" >&2
python3 -m venv .venv || fail "'python3 -m venv .venv' failed: install Python's venv module (Debian/Ubuntu: apt-get install python3-venv)"
.venv/bin/pip install --quiet --disable-pip-version-check $(printf -- '-r %s ' "${requirements[@]}") ||
  fail "pip could not install ${requirements[*]} into .venv (is PyPI reachable?)"
echo "$wanted" > "$stamp"

#!/usr/bin/env bash
# Creates (or updates) .venv with the pinned Python tools: grpcio-tools for
# `npm run generate`, and the Python client's test dependencies. Idempotent:
# it reinstalls only when a requirements file changed.
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=(clients/python/requirements-dev.txt)
[ -f clients/python/requirements-agno.txt ] && requirements+=(clients/python/requirements-agno.txt)
stamp=.venv/.requirements.sha256
wanted=$(cat "${requirements[@]}" | sha256sum | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  exit 0
fi
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check $(printf -- '-r %s ' "${requirements[@]}")
echo "$wanted" > "$stamp"

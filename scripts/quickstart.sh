#!/usr/bin/env bash
# Install the tool in .venv and run the main job. (Until the emulator quickstart lands, the main
# job is `validate` of the bundled examples.)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
exec .venv/bin/reconciler validate -c examples

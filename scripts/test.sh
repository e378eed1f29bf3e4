#!/usr/bin/env bash
# Install everything the test suite needs on a fresh machine, then run the whole suite.
# Idempotent: a second run reuses .venv and the installed Debian packages.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
exec .venv/bin/python -m pytest -n "${PYTEST_WORKERS:-auto}" "$@"

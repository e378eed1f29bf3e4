#!/usr/bin/env bash
# Install everything the test suite needs on a fresh machine, then run the whole suite.
# Idempotent: a second run reuses .venv and the installed Debian packages.
set -euo pipefail
cd "$(dirname "$0")/.."

# The ceph flavor's tests run against a real Ceph RADOS Gateway (tests/support/ceph), and the
# postgresql:// state's against a real PostgreSQL server (tests/support/postgres.py): Debian 12's
# packages, installed once; a missing package makes those tests fail, so failing here is clearer.
DEBIAN_PACKAGES=(radosgw ceph-mon ceph-osd postgresql)
missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -qx 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  as_root=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "scripts/test.sh: installing ${missing[*]} needs root (or sudo)" >&2; exit 1; }
    as_root=(sudo)
  fi
  command -v apt-get >/dev/null || { echo "scripts/test.sh: ${missing[*]} must be installed, and apt-get (Debian 12) is not available" >&2; exit 1; }
  echo "scripts/test.sh: installing ${missing[*]} (Ceph RADOS Gateway and PostgreSQL for the integration tests)" >&2
  if [[ " ${missing[*]} " == *" postgresql "* ]]; then
    # the tests start their own PostgreSQL in a temporary directory: no system cluster nor service is wanted
    "${as_root[@]}" mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" | "${as_root[@]}" tee /etc/postgresql-common/createcluster.d/reconciler-tests.conf >/dev/null
  fi
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
    && "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { echo "scripts/test.sh: could not install ${missing[*]} with apt-get (see the messages above)" >&2; exit 1; }
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
exec .venv/bin/python -m pytest -n "${PYTEST_WORKERS:-auto}" "$@"

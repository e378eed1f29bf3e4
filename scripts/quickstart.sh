#!/usr/bin/env bash
# The main job, end to end, on one machine with only Python 3.11: install reconciler in .venv,
# start the embedded emulator on a free loopback port, create demo buckets (one of them holding a
# rule "someone else" created), then validate -> plan -> apply -> plan (nothing left to do) on
# examples/quickstart/, change a rule behind reconciler's back and let `drift` catch it.
#
# Works from any directory. Leaves nothing running (a trap always stops the emulator); the files
# it made stay in .quickstart/ for you to look at. Exit 0 on success, non-zero on any surprise.
#
# Environment: PYTHON        interpreter used to create .venv (default python3)
#              RECONCILER_PYTHON  an interpreter that already has reconciler installed: no .venv,
#                                 no install (the test suite uses this)
#              RECONCILER_QUICKSTART_DIR  where to put the generated files (default .quickstart)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${RECONCILER_QUICKSTART_DIR:-$ROOT/.quickstart}"
EXAMPLE="$ROOT/examples/quickstart/notifications.yaml"

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then BOLD=$'\033[1m' PLAIN=$'\033[0m'; else BOLD="" PLAIN=""; fi
step() { printf '\n%s==> %s%s\n' "$BOLD" "$*" "$PLAIN"; }
fail() { printf '\nquickstart failed: %s\n' "$*" >&2; exit 1; }

if [ -n "${RECONCILER_PYTHON:-}" ]; then
  PY="$RECONCILER_PYTHON"
else
  BASE_PY="${PYTHON:-python3}"
  command -v "$BASE_PY" >/dev/null || fail "$BASE_PY not found: install Python 3.11 or set PYTHON"
  "$BASE_PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || fail "$BASE_PY is older than Python 3.11"
  step "Installing reconciler into $ROOT/.venv"
  if [ ! -x "$ROOT/.venv/bin/python" ]; then
    "$BASE_PY" -m venv "$ROOT/.venv" ||
      fail "could not create $ROOT/.venv (on Debian or Ubuntu: apt install python3-venv)"
  fi
  "$ROOT/.venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$ROOT/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT"
  PY="$ROOT/.venv/bin/python"
fi
"$PY" -c 'import reconciler' 2>/dev/null || fail "$PY cannot import reconciler"

reconciler() { "$PY" -m reconciler "$@"; }

rm -rf "$WORK"
mkdir -p "$WORK/state"
CONFIG="$WORK/notifications.yaml"
STATE="$WORK/state/reconciler.state.json"

# Demo credentials: the emulator checks every signature against them, as a cloud would.
export QY_ACCESS_KEY_ID=quickstart-access-key QY_SECRET_ACCESS_KEY=quickstart-secret-key
export BCE_ACCESS_KEY_ID=$QY_ACCESS_KEY_ID BCE_SECRET_ACCESS_KEY=$QY_SECRET_ACCESS_KEY
export AWS_ACCESS_KEY_ID=$QY_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$QY_SECRET_ACCESS_KEY
export BOS_NOTIFY_KEY=quickstart-bos-signing-key   # the BOS rule's secret; never printed
unset QINGSTOR_ACCESS_KEY_ID QINGSTOR_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_PROFILE

step "Starting the emulator on a free loopback port"
EMULATOR_PID=""
stop_emulator() {
  if [ -n "$EMULATOR_PID" ] && kill -0 "$EMULATOR_PID" 2>/dev/null; then
    kill "$EMULATOR_PID" 2>/dev/null || true
    wait "$EMULATOR_PID" 2>/dev/null || true
  fi
}
trap stop_emulator EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
"$PY" -m reconciler emulator --host 127.0.0.1 --port 0 \
  --access-key "$QY_ACCESS_KEY_ID" --secret-key "$QY_SECRET_ACCESS_KEY" >"$WORK/emulator.log" 2>&1 &
EMULATOR_PID=$!
URL=""
for _ in $(seq 1 1200); do  # up to 60 s: a loaded CI machine starts python slowly
  URL="$(sed -n 's/^Emulator listening on \(http:[^ ]*\).*/\1/p' "$WORK/emulator.log")"
  [ -n "$URL" ] && break
  kill -0 "$EMULATOR_PID" 2>/dev/null || { cat "$WORK/emulator.log" >&2; fail "the emulator did not start"; }
  sleep 0.05
done
[ -n "$URL" ] || fail "the emulator did not announce its address within 60 seconds"
echo "Emulator at $URL (pid $EMULATOR_PID)"

step "Creating demo buckets; qs/photos already holds a rule someone else created"
"$PY" - "$URL" <<'PY'
import sys
from reconciler.emulator.admin_client import EmulatorAdmin

someone_elses_rule = {
    "id": "legacy-audit",
    "event_types": ["delete_object"],
    "cloudfunc": "notifier",
    "notify_url": "https://audit.example.org/qingstor",
}
with EmulatorAdmin(sys.argv[1]) as admin:
    admin.create_bucket("qingstor", "photos", document={"notifications": [someone_elses_rule]})
    admin.create_bucket("bos", "docs")
    admin.create_bucket("s3", "uploads", flavor="jdcloud")
print("qingstor/photos (1 foreign rule: legacy-audit), bos/docs, s3/uploads (jdcloud)")
PY

# The committed example names the real clouds; this copy points every provider at the emulator.
"$PY" - "$EXAMPLE" "$CONFIG" "$URL" <<'PY'
import sys
from ruamel.yaml import YAML

source, target, url = sys.argv[1:]
yaml = YAML()
yaml.preserve_quotes = True
with open(source, encoding="utf-8") as handle:
    document = yaml.load(handle)
for name, provider in document["providers"].items():
    provider.insert(2, "endpoint", url, comment="the quickstart's emulator")
with open(target, "w", encoding="utf-8") as handle:
    handle.write("# Generated by scripts/quickstart.sh from examples/quickstart/notifications.yaml\n")
    yaml.dump(document, handle)
PY
echo "Configuration: $CONFIG (examples/quickstart/notifications.yaml with endpoint: $URL)"

step "reconciler validate: schema and provider rules, offline"
reconciler validate -c "$CONFIG" || fail "validate rejected the example"

step "reconciler plan: what apply would change (the foreign rule is kept, marked =)"
reconciler plan -c "$CONFIG" --state "$STATE" || fail "plan failed"

step "reconciler apply --auto-approve"
reconciler apply -c "$CONFIG" --state "$STATE" --auto-approve || fail "apply failed"

step "reconciler plan --detailed-exitcode: nothing left to do (exit 0)"
reconciler plan -c "$CONFIG" --state "$STATE" --detailed-exitcode || fail "plan after apply still shows changes"

step "Someone edits porn-check's notify_url outside reconciler, and adds a rule to jd/uploads"
"$PY" - "$URL" <<'PY'
import sys
from reconciler.emulator.admin_client import EmulatorAdmin

with EmulatorAdmin(sys.argv[1]) as admin:
    document = admin.document("qingstor", "photos")
    for rule in document["notifications"]:
        if rule["id"] == "porn-check":
            rule["notify_url"] = "https://hooks.example.net/hand-edited"
    admin.put_document("qingstor", "photos", document)
    xml = admin.document("s3", "uploads")
    added = (
        "<TopicConfiguration><Id>hand-made</Id><Topic>NS:https://c.example.com/cb</Topic>"
        "<Event>s3:ObjectRemoved:*</Event></TopicConfiguration>"
    )
    admin.put_document("s3", "uploads", xml.replace("</NotificationConfiguration>", added + "</NotificationConfiguration>"))
print("qingstor/photos: porn-check now notifies https://hooks.example.net/hand-edited")
print("s3/uploads: a rule 'hand-made' appeared")
PY

step "reconciler drift: the nightly check (exit 0 in sync, 2 drift, 1 error)"
set +e
reconciler drift -c "$CONFIG" --state "$STATE"
status=$?
set -e
[ "$status" -eq 2 ] || fail "drift exited $status; it should have caught the change and exited 2"

cat <<EOF

drift exited 2, as expected: it caught porn-check changed outside reconciler (field by field)
and reported the new foreign rule 'hand-made' (information only: jd/uploads is shared).
A cron job or CI pipeline treats exit 2 as "drift found"; examples/gitops/ has ready-made ones.
\`reconciler apply\` would put porn-check back, keeping both foreign rules.

Quickstart finished: the emulator is stopped; configuration and state are in $WORK.
EOF

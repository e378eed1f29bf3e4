#!/usr/bin/env bash
# Stop what start-rgw.sh started under $RGW_BASE, by the PIDs it recorded (never by name), then
# delete the directory (KEEP_LOGS=1 keeps $RGW_BASE/log for a post-mortem).
# Data is throw-away (memstore), so daemons get SIGKILL at once: a clean SIGTERM shutdown takes ~5 s.
BASE=${RGW_BASE:?set RGW_BASE to the directory given to start-rgw.sh}
[ -d "$BASE/run" ] || exit 0
# ours: a recorded PID whose process still runs with this cluster's CEPH_CONF (guards PID reuse)
ours() { tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null | grep -qxF "CEPH_CONF=$BASE/ceph.conf"; }
# running: not yet reaped is fine, a zombie counts as gone
running() { [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null; }
pids=()
# the watchdog too, unless it is the one running this script
if [ -f "$BASE/run/watchdog.wpid" ]; then
  watchdog=$(cat "$BASE/run/watchdog.wpid")
  if [ "$watchdog" != "$$" ] && [ "$watchdog" != "$PPID" ] \
     && tr '\0' '\n' <"/proc/$watchdog/cmdline" 2>/dev/null | grep -qxF "$BASE"; then
    pids+=("$watchdog")
  fi
fi
for f in "$BASE"/run/*.fpid; do
  [ -f "$f" ] && p=$(cat "$f") && ours "$p" && pids+=("$p")
done
if [ ${#pids[@]} -gt 0 ]; then
  kill -9 "${pids[@]}" 2>/dev/null
  # wait until they are really gone, so their ports and memory are free when we return
  for p in "${pids[@]}"; do
    for _ in $(seq 1 100); do running "$p" || break; sleep 0.05; done
  done
fi
if [ "${KEEP_LOGS:-0}" = 1 ]; then
  find "$BASE" -mindepth 1 -maxdepth 1 ! -name log -exec rm -rf {} +
else
  rm -rf "$BASE"
fi

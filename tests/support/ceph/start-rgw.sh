#!/usr/bin/env bash
# Start a throw-away one-node Ceph cluster and a RADOS Gateway on loopback, for integration tests.
#   1 mon, 1 memstore OSD (data in RAM), no mgr, cephx off, radosgw (beast) on 127.0.0.1:$RGW_PORT.
#   Everything lives under $RGW_BASE; daemon PIDs go to $RGW_BASE/run/*.fpid for stop-rgw.sh.
# Needs Debian 12's packages: apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd
# Facts behind every setting: /work/shared/reference/ceph-rgw.md (sections 3 and 6).
#
# Environment: RGW_BASE (required), MON_PORT (msgr2; msgr1 uses MON_PORT+1), RGW_PORT,
# RGW_ACCESS_KEY, RGW_SECRET_KEY, MS_PORT_MIN/MS_PORT_MAX (the OSD binds 8 ports in this range),
# RGW_OWNER_PID: if set, a watchdog stops the cluster as soon as that process is gone, so a
# killed test run never leaves daemons behind.
# Prints one line "endpoint=http://127.0.0.1:<port>" on success; on failure prints the daemon
# log tails to stderr, stops what it started, and exits 1.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
T0=$(date +%s%N)
ms() { echo $(( ($(date +%s%N) - T0) / 1000000 )); }
BASE=${RGW_BASE:?set RGW_BASE to an empty or new scratch directory}
MON_PORT=${MON_PORT:-13300}
RGW_PORT=${RGW_PORT:-18000}
ACCESS_KEY=${RGW_ACCESS_KEY:-TESTACCESSKEY}
SECRET_KEY=${RGW_SECRET_KEY:-TESTSECRETKEY}
MS_PORT_MIN=${MS_PORT_MIN:-16800}
MS_PORT_MAX=${MS_PORT_MAX:-16900}
MONADDR="[v2:127.0.0.1:$MON_PORT,v1:127.0.0.1:$((MON_PORT + 1))]"

for tool in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph uuidgen setsid; do
  command -v "$tool" >/dev/null || { echo "FAILED: '$tool' is not installed (apt-get install radosgw ceph-mon ceph-osd)" >&2; exit 1; }
done

fail() {
  echo "FAILED after $(ms) ms: $*" >&2
  for log in "$BASE"/log/*; do [ -f "$log" ] && { echo "--- $log" >&2; tail -n 20 "$log" >&2; }; done
  RGW_BASE=$BASE KEEP_LOGS=1 "$HERE/stop-rgw.sh" || true
  exit 1
}
# wait_for TENTHS WHAT COMMAND...: poll every 0.1 s until COMMAND succeeds, or fail naming WHAT
wait_for() {
  local tries=$1 what=$2; shift 2
  for _ in $(seq 1 "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  fail "$what did not come up within $((tries / 10)) s"
}
osd_up() { ceph osd stat | grep -q ' 1 up'; }
rgw_listening() { (exec 3<>"/dev/tcp/127.0.0.1/$RGW_PORT"); }

# never wipe a directory we did not make: the stop script deletes what is under $BASE
if [ -n "$(ls -A "$BASE" 2>/dev/null)" ]; then echo "FAILED: $BASE is not empty" >&2; exit 1; fi
mkdir -p "$BASE"/{mon.a,osd.0,run,log,rgw}

if [ -n "${RGW_OWNER_PID:-}" ]; then
  # waits with `read -t` on a fifo nobody writes, not `sleep`: killing it orphans no child;
  # kills this script too if it still runs, so a start cut short adds no daemon after the cleanup
  mkfifo "$BASE/run/watchdog.fifo"
  setsid bash -c 'exec 3<>"$3/run/watchdog.fifo"
                  while kill -0 "$1" 2>/dev/null; do read -r -t 0.5 -u 3 _ || true; done
                  tr "\0" "\n" <"/proc/$2/environ" 2>/dev/null | grep -qxF "RGW_BASE=$3" && kill -9 "$2"
                  RGW_BASE=$3 "$4/stop-rgw.sh"' \
    watchdog "$RGW_OWNER_PID" "$$" "$BASE" "$HERE" >/dev/null 2>&1 </dev/null &
  echo $! >"$BASE/run/watchdog.wpid"
fi

CONF=$BASE/ceph.conf
cat >"$CONF" <<CONF
[global]
fsid = $(uuidgen)
mon host = $MONADDR
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind port min = $MS_PORT_MIN
ms bind port max = $MS_PORT_MAX
# no cephx; with auth=none radosgw's mon connection must be allowed crc mode or it hangs
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
ms client mode = crc
run dir = $BASE/run
admin socket = $BASE/run/\$name.asok
log file = $BASE/log/\$name.log
pid file = $BASE/run/\$name.pid
# one OSD: size-1 pools, few PGs, no autoscaler (there is no mgr)
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
mon max pg per osd = 1000
# commit map changes in 50 ms instead of 1 s: start in ~2 s instead of ~13 s
paxos propose interval = 0.05
paxos min wait = 0.01
mon osd prime pg temp = false
[mon]
mon data = $BASE/mon.\$id
[osd]
osd data = $BASE/osd.\$id
osd objectstore = memstore
memstore device bytes = 536870912
[client]
rgw data = $BASE/rgw
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw thread pool size = 32
CONF
export CEPH_CONF=$CONF

monmaptool --create --fsid "$(sed -n 's/^fsid = //p' "$CONF")" --addv a "$MONADDR" "$BASE/monmap" >/dev/null \
  || fail "monmaptool"
ceph-mon --mkfs -i a --monmap "$BASE/monmap" --keyring /dev/null >"$BASE/log/mon-mkfs.out" 2>&1 || fail "ceph-mon --mkfs"
setsid ceph-mon -i a -f >"$BASE/log/mon.a.out" 2>&1 </dev/null &
echo $! >"$BASE/run/mon.a.fpid"
wait_for 100 "ceph-mon on 127.0.0.1:$MON_PORT" ceph --connect-timeout 5 mon stat

OSD_UUID=$(uuidgen)
OSD_ID=$(ceph osd new "$OSD_UUID" 2>>"$BASE/log/osd-new.out") || fail "ceph osd new"
ceph-osd -i "$OSD_ID" --mkfs --osd-uuid "$OSD_UUID" >"$BASE/log/osd-mkfs.out" 2>&1 || fail "ceph-osd --mkfs"
setsid ceph-osd -i "$OSD_ID" -f >"$BASE/log/osd.$OSD_ID.out" 2>&1 </dev/null &
echo $! >"$BASE/run/osd.$OSD_ID.fpid"
wait_for 300 "ceph-osd" osd_up

# radosgw creates the realm/zonegroup/zone 'default' and its pools on first start
setsid radosgw -n client.rgw.a -f >"$BASE/log/rgw.a.out" 2>&1 </dev/null &
echo $! >"$BASE/run/rgw.a.fpid"
wait_for 600 "radosgw on 127.0.0.1:$RGW_PORT" rgw_listening

radosgw-admin user create --uid=tester --display-name=tester \
  --access-key="$ACCESS_KEY" --secret="$SECRET_KEY" >"$BASE/log/user-create.out" 2>&1 || fail "radosgw-admin user create"
echo "ready after $(ms) ms" >&2
echo "endpoint=http://127.0.0.1:$RGW_PORT"

#!/bin/sh
# Publish `reconciler drift --format prometheus` in node-exporter's textfile collector directory.
#
#   drift-textfile.sh OUTPUT.prom [reconciler drift options…]
#
# The report is written to a temporary file next to OUTPUT.prom and renamed over it, so the
# collector never reads half a file. It is published whenever drift printed a report (exit 0 in
# sync, 2 drift, 1 when some bucket could not be read: its reconciler_drift_bucket_error is 1 and
# reconciler_drift_last_success_timestamp_seconds is absent); when drift printed nothing (a
# configuration or state error), the previous file stays and its success time grows old: alert on
#   reconciler_drift_detected == 1
#   time() - reconciler_drift_last_success_timestamp_seconds > 2 * 86400
#   absent(reconciler_drift_last_success_timestamp_seconds)
# Exits with drift's own status. Set RECONCILER to the reconciler executable if it is not on PATH.
set -u
if [ "$#" -lt 1 ]; then
  echo "usage: $0 OUTPUT.prom [reconciler drift options...]" >&2
  exit 64
fi
out=$1
shift
tmp="$out.$$.tmp"
trap 'rm -f "$tmp"' EXIT
"${RECONCILER:-reconciler}" drift --format prometheus "$@" >"$tmp"
status=$?
if [ -s "$tmp" ]; then
  chmod 0644 "$tmp" && mv -f "$tmp" "$out"
else
  echo "reconciler drift printed no report (exit $status); $out is left as it was" >&2
fi
exit "$status"

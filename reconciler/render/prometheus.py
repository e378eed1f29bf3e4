"""The drift report in Prometheus text exposition format, for node-exporter's textfile collector.

Every bucket gets every series (zeros included) so alerts see a value, not an absence.
`reconciler_drift_last_success_timestamp_seconds` is written only when every bucket was checked:
alert on its age to catch a drift job that keeps failing. A job writes the output to a
temporary file and renames it into the collector's directory, so a half-written file is never
scraped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from reconciler.drift.detection import BucketStatus, DriftReport

# label value of `kind` → key of BucketDrift.counts()
RULE_KINDS = {
    "modified": "total_changed",
    "deleted": "total_missing",
    "foreign_drift": "total_unmanaged_drift",
    "foreign_new": "total_unmanaged_new",
    "pending": "total_pending",
    "ignored": "total_ignored",
}


class _DriftCollector:
    def __init__(self, report: DriftReport) -> None:
        self.report = report

    def collect(self) -> Iterator[Metric]:
        report = self.report
        summary = report.summary
        checked = [b for b in report.buckets if b.status is not BucketStatus.ERROR]
        yield _gauge(
            "reconciler_drift_detected", "1 when any rule-level drift that is not ignored exists.", report.drifted
        )
        buckets = GaugeMetricFamily("reconciler_drift_buckets", "Buckets by drift status.", labels=["status"])
        for status, value in (
            ("in_sync", summary.buckets_in_sync),
            ("drifted", summary.buckets_drifted),
            ("error", summary.buckets_errored),
        ):
            buckets.add_metric([status], value)
        yield buckets
        totals = GaugeMetricFamily(
            "reconciler_drift_total_rules", "Rules by kind of difference, over every bucket checked.", labels=["kind"]
        )
        rules = GaugeMetricFamily(
            "reconciler_drift_rules",
            "Rules by kind of difference: modified/deleted outside reconciler, foreign rules new since the last "
            "apply (foreign_drift on exclusive buckets), configuration not yet applied, ignored.",
            labels=["address", "kind"],
        )
        drifted = GaugeMetricFamily(
            "reconciler_drift_bucket_drifted", "1 when the bucket has drift that is not ignored.", labels=["address"]
        )
        for kind, key in RULE_KINDS.items():
            totals.add_metric([kind], getattr(summary, key))
        for bucket in checked:
            counts = bucket.counts()
            for kind, key in RULE_KINDS.items():
                rules.add_metric([bucket.address, kind], counts[key])
            drifted.add_metric([bucket.address], int(bucket.drifted))
        yield totals
        yield rules
        yield drifted
        errors = GaugeMetricFamily(
            "reconciler_drift_bucket_error", "1 when the bucket could not be checked.", labels=["address"]
        )
        for bucket in report.buckets:
            errors.add_metric([bucket.address], int(bucket.status is BucketStatus.ERROR))
        yield errors
        shadowed = GaugeMetricFamily(
            "reconciler_drift_warnings",
            "Managed rules live that can never fire (an earlier rule wins first: jdcloud), by bucket and code.",
            labels=["address", "code"],
        )
        tally = Counter((w.address, w.code) for w in report.warnings)
        for (address, code), value in sorted(tally.items()):
            shadowed.add_metric([address, code], value)
        yield shadowed
        ignores = GaugeMetricFamily("reconciler_drift_ignores", "Ignore-file entries by state.", labels=["state"])
        ignores.add_metric(["expired"], len(report.expired_ignores))
        ignores.add_metric(["unused"], len(report.unused_ignores))
        yield ignores
        yield _gauge(
            "reconciler_drift_state_serial", "Serial of the state file compared with.", report.prior_state.serial
        )
        finished = report.timestamp.timestamp()
        yield _gauge("reconciler_drift_last_run_timestamp_seconds", "When the drift check ran (Unix time).", finished)
        if not report.errored:
            yield _gauge(
                "reconciler_drift_last_success_timestamp_seconds",
                "When a drift check last checked every bucket (Unix time).",
                finished,
            )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=float(value))


def render_prometheus(report: DriftReport) -> str:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_DriftCollector(report))  # type: ignore[arg-type]
    return generate_latest(registry).decode("utf-8")

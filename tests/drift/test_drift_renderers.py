"""Drift renderers: JSON against its schema, text sections, markdown size bound, Prometheus parsed back."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
from prometheus_client.parser import text_string_to_metric_families

from reconciler.drift.detection import DriftReport, detect_drift
from reconciler.model.ignore import IgnoreEntry, IgnoreList
from reconciler.render.drift_json import drift_document, render_drift_json
from reconciler.render.drift_markdown import MARKER, render_drift_markdown
from reconciler.render.drift_text import render_drift_text
from reconciler.render.prometheus import render_prometheus
from reconciler.state.model import rfc3339
from tests.support.plans import NOW, SECRET, bos_rule, bucket, config, document, foreign, qs_rule, state

pytestmark = pytest.mark.unit

SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "drift.schema.json").read_text())
TODAY = dt.date(2026, 11, 23)


def drifted_report() -> DriftReport:
    """One bucket of every kind: changed, deleted, new foreign on exclusive, pending, ignored, errored."""
    ignores = IgnoreList(
        [
            IgnoreEntry(address="qs/photos/tuned:notify_url", reason="hook rotation", expires=TODAY),
            IgnoreEntry(address="qs/photos/gone", reason="expired acceptance", expires=TODAY - dt.timedelta(days=1)),
        ],
        today=TODAY,
    )
    photos = (qs_rule("edited"), qs_rule("gone"), qs_rule("tuned"), qs_rule("fine"))
    docs = (bos_rule("ocr"),)
    cfg = config(
        bucket("qs/photos", *photos, qs_rule("added"), ownership="exclusive"),
        bucket("bj/docs", *docs),
        bucket("qs/broken", qs_rule("x")),
    )
    live = {
        "qs/photos": document(
            qs_rule("edited", event_types=["delete_object"]),
            qs_rule("tuned", notify_url="https://hooks.example.com/other"),
            qs_rule("fine"),
            foreign("intruder", rule=qs_rule("intruder")),
        ),
        "bj/docs": document(bos_rule("ocr", secret="rotated-by-hand")),
    }
    prior = state(qs__photos=photos, bj__docs=docs, qs__broken=(qs_rule("x"),))
    return detect_drift(
        cfg,
        prior,
        live,
        errors={"qs/broken": "qs/broken: bucket not found (HTTP 404, code bucket_not_exists)"},
        ignores=ignores,
        tool_version="0.1.0",
        now=NOW,
    )


def in_sync_report() -> DriftReport:
    rules = (qs_rule("a"),)
    return detect_drift(
        config(bucket("qs/p", *rules)), state(qs__p=rules), {"qs/p": document(*rules)}, tool_version="0.1.0", now=NOW
    )


@pytest.mark.parametrize("make", [drifted_report, in_sync_report])
def test_json_document_is_valid_against_its_published_schema(make):
    document_ = json.loads(render_drift_json(make()))
    jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(document_)


def test_schema_requires_exactly_what_the_document_holds():
    """Schema and model in step: every object's keys are the schema's required keys."""
    document_ = drift_document(drifted_report())
    definitions = SCHEMA["definitions"]
    assert list(document_) == SCHEMA["required"]
    assert set(document_["summary"]) == set(definitions["summary"]["required"])
    photos = next(b for b in document_["buckets"] if b["address"] == "qs/photos")
    assert set(photos) == set(definitions["bucket"]["required"])
    assert set(photos["managed"][0]) == set(definitions["managed_rule"]["required"])
    assert set(photos["managed"][0]["differences"][0]) == set(definitions["property_difference"]["required"])
    assert set(photos["foreign"][0]) == set(definitions["foreign_rule"]["required"])
    assert set(photos["pending"][0]) == set(definitions["pending_change"]["required"])


def test_json_carries_statuses_and_summary():
    document_ = drift_document(drifted_report())
    assert document_["drifted"] is True and document_["errored"] is True
    summary = document_["summary"]
    assert (summary["total_changed"], summary["total_missing"], summary["total_unmanaged_drift"]) == (2, 1, 1)
    assert summary["total_pending"] == 1 and summary["total_ignored"] == 1
    assert summary["buckets_errored"] == 1
    photos = next(b for b in document_["buckets"] if b["address"] == "qs/photos")
    statuses = {r["id"]: r["status"] for r in photos["managed"]}
    assert statuses == {"edited": "MODIFIED", "gone": "DELETED", "tuned": "MODIFIED", "fine": "IN_SYNC"}
    assert [e["address"] for e in document_["expired_ignores"]] == ["qs/photos/gone"]


def test_no_format_ever_shows_a_secret():
    report = drifted_report()
    outputs = [
        render_drift_json(report),
        render_drift_text(report),
        render_drift_markdown(report),
        render_prometheus(report),
    ]
    for output in outputs:
        assert SECRET not in output and "rotated-by-hand" not in output
    assert "(sensitive value)" in render_drift_text(report)


def test_text_keeps_the_three_sections_apart_and_ends_with_the_counts():
    text = render_drift_text(drifted_report())
    photos = text[text.index("qs/photos") :]
    managed = photos.index("Changed outside reconciler")
    foreign = photos.index("Foreign rules")
    pending = photos.index("Configuration not yet applied")
    assert managed < foreign < pending
    assert "- gone  DELETED" in photos and "~ edited  MODIFIED" in photos
    assert '        event_types: ["create_object"] → ["delete_object"]' in photos
    assert "! intruder  new since the last apply (drift: an exclusive bucket)" in photos
    assert "+ added  create" in photos
    assert "(ignored until 2026-11-23: hook rotation)" in photos
    assert "qs/photos/gone  expired 2026-11-22: expired acceptance" in text
    assert "could not be checked: qs/broken: bucket not found" in text
    assert text.rstrip().endswith("Buckets: 3 checked, 0 in sync, 2 drifted, 1 could not be checked.")
    assert "\x1b[" not in text and "\x1b[" in render_drift_text(drifted_report(), color=True)


def test_text_in_sync():
    text = render_drift_text(in_sync_report())
    assert "qs/p  in sync  (qingstor, shared): 1 managed rule as applied" in text
    assert "No drift" in text


def test_markdown_starts_with_its_marker_and_summary():
    markdown = render_drift_markdown(drifted_report())
    lines = markdown.splitlines()
    assert lines[0] == MARKER
    assert lines[1].startswith("### ⚠️ Drift: 2 changed outside reconciler, 1 deleted outside reconciler")
    assert "| <code>qs/photos</code> | ⚠️ drifted | 1 | 1 | 1 | 1 | 1 |" in markdown
    assert "<details>" in markdown
    assert lines[-1] == f"<sub>reconciler 0.1.0 · state serial 3 · {rfc3339(NOW)}</sub>"


def test_markdown_is_cut_to_its_budget_details_first_summary_never():
    rules = (qs_rule("r0"), qs_rule("r1"))
    buckets = [f"qs/bucket-with-a-long-name-for-a-wide-table-row-{i:04d}" for i in range(600)]
    cfg = config(*(bucket(address, *rules) for address in buckets))
    prior = state(**{address.replace("/", "__"): rules for address in buckets})
    live = {address: document(*rules[1:]) for address in buckets}  # r0 deleted everywhere
    report = detect_drift(cfg, prior, live, tool_version="0.1.0", now=NOW)
    markdown = render_drift_markdown(report)
    assert len(markdown) <= 60_000
    assert markdown.splitlines()[1].startswith("### ⚠️ Drift: 600 deleted outside reconciler")
    assert "Cut to fit a comment" in markdown
    small = render_drift_markdown(report, max_chars=3_000)
    assert len(small) <= 3_000 and "<details>" not in small and "more buckets not in sync" in small


def families(text: str) -> dict:
    return {family.name: family for family in text_string_to_metric_families(text)}


def test_prometheus_output_parses_and_counts_per_bucket_and_in_total():
    text = render_prometheus(drifted_report())
    parsed = families(text)
    assert "# HELP reconciler_drift_rules " in text and "# TYPE reconciler_drift_rules gauge" in text
    rules = {(s.labels["address"], s.labels["kind"]): s.value for s in parsed["reconciler_drift_rules"].samples}
    assert rules[("qs/photos", "modified")] == 1 and rules[("qs/photos", "deleted")] == 1
    assert rules[("qs/photos", "foreign_drift")] == 1 and rules[("bj/docs", "modified")] == 1
    assert ("qs/broken", "modified") not in rules  # unknown, not zero
    totals = {s.labels["kind"]: s.value for s in parsed["reconciler_drift_total_rules"].samples}
    assert totals["modified"] == 2 and totals["pending"] == 1
    buckets = {s.labels["status"]: s.value for s in parsed["reconciler_drift_buckets"].samples}
    assert buckets == {"in_sync": 0, "drifted": 2, "error": 1}
    errors = {s.labels["address"]: s.value for s in parsed["reconciler_drift_bucket_error"].samples}
    assert errors == {"bj/docs": 0, "qs/broken": 1, "qs/photos": 0}
    assert parsed["reconciler_drift_detected"].samples[0].value == 1
    assert parsed["reconciler_drift_ignores"].samples[0].labels == {"state": "expired"}
    # a run that could not check every bucket is not a success
    assert "reconciler_drift_last_success_timestamp_seconds" not in parsed
    assert parsed["reconciler_drift_last_run_timestamp_seconds"].samples[0].value == NOW.timestamp()


def test_prometheus_in_sync_records_its_success_time():
    parsed = families(render_prometheus(in_sync_report()))
    assert parsed["reconciler_drift_detected"].samples[0].value == 0
    assert parsed["reconciler_drift_last_success_timestamp_seconds"].samples[0].value == NOW.timestamp()
    assert {s.labels["kind"]: s.value for s in parsed["reconciler_drift_rules"].samples} == dict.fromkeys(
        ("modified", "deleted", "foreign_drift", "foreign_new", "pending", "ignored"), 0
    )


def test_text_shows_a_pending_update_from_the_state_to_the_configuration():
    """Configuration not yet applied reads like the plan: what was applied → what apply would write."""
    applied = (qs_rule("hook", notify_url="https://hooks.example.com/old"),)
    report = detect_drift(
        config(bucket("qs/p", qs_rule("hook", notify_url="https://hooks.example.com/new"))),
        state(qs__p=applied),
        {"qs/p": document(*applied)},
        tool_version="0.1.0",
        now=NOW,
    )
    text = render_drift_text(report)
    assert 'notify_url: "https://hooks.example.com/old" → "https://hooks.example.com/new"' in text

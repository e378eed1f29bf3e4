"""Documented provider statements through the CLI against the emulator (issue 10): JD Cloud's
first-match order (validate refuses a dead declared rule; plan and drift warn about a managed rule
behind a foreign one, in every format), JD Cloud CloudFunctionConfiguration, BOS simplified rules."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft7Validator

from tests.commands.conftest import Project
from tests.commands.dialects import BY_NAME
from tests.commands.test_commands_emulator import applied, configure
from tests.support.emulator import REPOSITORY as REPO_ROOT, RunningEmulator

XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"
# a foreign catch-all first: on JD Cloud it wins every ObjectCreated event for every key
FOREIGN_CATCH_ALL = (
    f'<NotificationConfiguration xmlns="{XMLNS}"><TopicConfiguration><Id>theirs</Id>'
    "<Topic>NS:https://other.example.com/cb</Topic><Event>s3:ObjectCreated:*</Event>"
    "</TopicConfiguration></NotificationConfiguration>"
)
NARROW = {"id": "jpg-only", "target": "NS:https://a.example.com/cb", "events": ["s3:ObjectCreated:Put"],
          "filter": {"prefix": "images/", "suffix": ".jpg"}}  # fmt: skip


def _schema(name: str) -> Draft7Validator:
    return Draft7Validator(json.loads((REPO_ROOT / "schemas" / name).read_text()))


def test_validate_refuses_a_declared_rule_behind_a_catch_all(project: Project, emulated: RunningEmulator) -> None:
    case = BY_NAME["jd"]
    catch_all = {"id": "everything", "target": "NS:https://b.example.com/cb", "events": ["s3:ObjectCreated:*"]}
    configure(project, emulated, case, case.bucket("ordered", catch_all, NARROW))
    result = project.cli("validate", "-c", str(project.config))
    assert result.code == 1
    lines = [line for line in result.err.splitlines() if "can never fire" in line]
    assert len(lines) == 1, result.err
    line = lines[0]
    assert "'jpg-only'" in line and "'everything'" in line
    # the shadowed rule's place and, in "(see …)", the earlier rule's place: file:line:column each
    assert line.count(str(project.config) + ":") == 2, line


def test_plan_and_drift_warn_about_a_managed_rule_behind_a_foreign_catch_all(
    project: Project, emulated: RunningEmulator
) -> None:
    case = BY_NAME["jd"]
    emulated.admin.create_bucket("s3", "shadowed", flavor="jdcloud", document=FOREIGN_CATCH_ALL)
    configure(project, emulated, case, case.bucket("shadowed", NARROW))

    text = project.cli("plan")
    assert text.code == 0, text.output
    assert "Warning: jd/shadowed [shadowed_by_foreign]" in text.out
    assert "'jpg-only' (position 2) can never fire: foreign rule 'theirs' (position 1)" in text.out
    assert "would have to come before position 1" in text.out
    assert text.out.rstrip().splitlines()[-1].startswith("Plan: 1 to add")  # the counts still close the plan

    document = json.loads(project.cli("plan", "--format", "json").out)
    assert [(w["code"], w["address"], w["rule"], w["by"]) for w in document["warnings"]] == [
        ("shadowed_by_foreign", "jd/shadowed", "jpg-only", "theirs")
    ]
    assert not list(_schema("plan.schema.json").iter_errors(document))
    markdown = project.cli("plan", "--format", "markdown").out
    assert "**Warning** `jd/shadowed` (shadowed_by_foreign)" in markdown and "warnings" in markdown.splitlines()[1]

    applied(project)  # the rule is written as declared: a warning never stops a plan
    drift = project.cli("drift")
    assert drift.code == 0, drift.output  # not drift: live matches the state
    assert "Warning: jd/shadowed [shadowed_by_foreign]" in drift.out
    report = json.loads(project.cli("drift", "--format", "json").out)
    assert [w["rule"] for w in report["warnings"]] == ["jpg-only"]
    assert not list(_schema("drift.schema.json").iter_errors(report))
    metrics = project.cli("drift", "--format", "prometheus").out
    assert 'reconciler_drift_warnings{address="jd/shadowed",code="shadowed_by_foreign"} 1.0' in metrics
    assert "**Warning** `jd/shadowed`" in project.cli("drift", "--format", "markdown").out


def test_no_warning_when_the_foreign_rule_does_not_cover_the_managed_one(
    project: Project, emulated: RunningEmulator
) -> None:
    case = BY_NAME["jd"]
    emulated.admin.create_bucket("s3", "apart", flavor="jdcloud", document=case.foreign)  # ObjectRemoved:* only
    configure(project, emulated, case, case.bucket("apart", NARROW))
    document = json.loads(project.cli("plan", "--format", "json").out)
    assert document["warnings"] == []


def test_jdcloud_cloud_function_rule_applies_and_plans_no_change(project: Project, emulated: RunningEmulator) -> None:
    case = BY_NAME["jd"]
    case.create(emulated, "functions")
    function = {"id": "thumbs", "type": "cloud_function", "target": "function-thumbs-01",
                "events": ["s3:ObjectCreated:*"], "filter": {"prefix": "images/"}}  # fmt: skip
    configure(project, emulated, case, case.bucket("functions", NARROW, function))
    applied(project)  # plan after apply: no changes
    live = emulated.admin.document("s3", "functions")
    assert "<CloudFunctionConfiguration><Id>thumbs</Id>" in live
    assert "<CloudFunction>function-thumbs-01</CloudFunction>" in live


def test_bos_simplified_rule_applies_and_plans_no_change(
    project: Project, emulated: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = BY_NAME["bj"]
    case.create(emulated, "keys")
    monkeypatch.setenv("BOS_NOTIFY_KEY", "callback-signing-key")
    simplified = {"id": "keys-only", "appId": "app-ocr", "status": "enabled",
                  "encryption": {"key": {"env": "BOS_NOTIFY_KEY"}}}  # fmt: skip
    configure(project, emulated, case, case.bucket("keys", simplified))
    applied(project)
    (stored,) = emulated.admin.document("bos", "keys")["notifications"]
    assert set(stored) == {"id", "appId", "status", "encryption"}

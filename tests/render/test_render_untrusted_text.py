"""Text from live buckets and servers (rule ids, targets, error messages) is data: every human
format shows its control characters visibly, so it can never clear a terminal, move the cursor,
colour the output or start a fake line."""

from __future__ import annotations

import re

import httpx
import pytest

from reconciler.apply.report import ApplyReport, BucketOutcome
from reconciler.cli import main
from reconciler.drift.detection import detect_drift
from reconciler.providers.error_bodies import provider_error
from reconciler.render.apply_text import TextApplyReporter
from reconciler.render.drift_markdown import render_drift_markdown
from reconciler.render.drift_text import render_drift_text
from reconciler.render.markdown import render_plan_markdown
from reconciler.render.state import render_state_list, render_state_text
from reconciler.render.text import render_plan_text
from reconciler.render.values import printable
from tests.support.plans import NOW, bucket, config, document, foreign, plan, qs_rule, state

pytestmark = pytest.mark.unit

HOSTILE = "evil\x1b[2J\x1b]0;title\x07\nPlan: 0 to add\r\x9b31m"
SGR = re.compile(r"\x1b\[[0-9;]*m")


def assert_inert(output: str, *, color: bool = False) -> None:
    rest = SGR.sub("", output) if color else output
    assert not any((ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0 for c in rest), repr(output)
    assert "\nPlan: 0 to add" not in output  # no line of its own


def hostile_plan():
    cfg = config(bucket("qs/photos", qs_rule("mine")))
    live = {"qs/photos": document(foreign(HOSTILE, rule=qs_rule(HOSTILE, notify_url="https://x.example.com/\x1b[8m")))}
    return plan(cfg, live, state(qs__photos=[qs_rule(HOSTILE)]))


def test_printable_shows_control_characters_and_keeps_only_what_is_asked() -> None:
    assert printable("a\x1b[2Jb\nc\td\x7f\x9b") == "a\u241b[2Jb\u240ac\td\u2421\ufffd"
    assert printable("a\nb", keep="\n") == "a\nb"
    assert printable("\x1b[31mred\x1b[0m\x1b[2J", keep_sgr=True) == "\x1b[31mred\x1b[0m\u241b[2J"


@pytest.mark.parametrize("color", [False, True])
def test_plan_text_and_markdown(color: bool) -> None:
    result = hostile_plan()
    assert_inert(render_plan_text(result, color=color), color=color)
    assert_inert(render_plan_markdown(result))


@pytest.mark.parametrize("color", [False, True])
def test_drift_text_and_markdown(color: bool) -> None:
    cfg = config(bucket("qs/photos", qs_rule("mine"), ownership="exclusive"))
    live = {"qs/photos": document(qs_rule("mine"), foreign(HOSTILE, rule=qs_rule(HOSTILE)))}
    report = detect_drift(
        cfg,
        state(qs__photos=[qs_rule("mine")]),
        live,
        errors={},
        tool_version="0.1.0",
        now=NOW,
    )
    assert_inert(render_drift_text(report, color=color), color=color)
    assert_inert(render_drift_markdown(report))


def test_state_and_apply_report(capsys: pytest.CaptureFixture[str]) -> None:
    recorded = state(qs__photos=[qs_rule(HOSTILE)])
    assert_inert(render_state_text(recorded))
    assert_inert(render_state_list(recorded))
    reporter = TextApplyReporter(color=False)
    outcome = BucketOutcome("qs/photos", "failed", f"writing failed: {HOSTILE}")
    reporter.post_bucket(outcome)
    reporter.apply_finished(ApplyReport((outcome,)))
    assert_inert(capsys.readouterr().out)


def test_error_messages_on_stderr(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from reconciler.commands import validate

    body = {"code": "x\x1b[2J", "message": HOSTILE, "requestId": "id\x1b[8m"}
    answer = httpx.Response(403, json=body, headers={"x-bce-request-id": "h\x1b[2J"})

    def fail(args):
        raise provider_error(answer, address="bj/docs", action="reading the notification rules")

    monkeypatch.setattr(validate, "run", fail)
    assert main(["validate"]) == 1
    err = capsys.readouterr().err
    assert_inert(err)
    assert err.count("\n") == 1 and "evil\u241b[2J" in err

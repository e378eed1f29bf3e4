"""Plan and state renderers: golden files, secrets never shown, the comment size cap, JSON schema.

Regenerate the golden files after an intended change with RECONCILER_UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest

from reconciler.plan import Plan
from reconciler.render import (
    render_plan_json,
    render_plan_markdown,
    render_plan_text,
    render_state_json,
    render_state_list,
    render_state_markdown,
    render_state_text,
)
from reconciler.render.markdown import MARKER
from reconciler.render.text import NO_CHANGES
from reconciler.state.model import StateFile
from tests.support.plans import SECRET, bos_rule, bucket, config, document, foreign, plan, qs_rule, s3_rule, state

pytestmark = pytest.mark.unit

GOLDEN = Path(__file__).parent / "golden"
SCHEMAS = Path(__file__).parents[2] / "schemas"
ROTATED = "rotated-clear-key-NEVER-SHOWN"


def every_kind_of_change() -> Plan:
    cfg = config(
        bucket(
            "qs/photos",
            qs_rule("porn-check", cloudfunc="tupu-porn", object_filters=["*.jpg", "*.png"]),
            qs_rule("thumbnails", cloudfunc="image", cloudfunc_args={"action": "resize:w_200", "key_prefix": "thumb"}),
        ),
        bucket("bj/docs", bos_rule("ocr", secret=ROTATED), bos_rule("same")),
        bucket("jd/uploads", s3_rule("jpg-callback", filter={"prefix": "images/", "suffix": ".jpg"}), s3_rule("all")),
        bucket(
            "aws/logs",
            s3_rule("audit", target="arn:aws:sqs:us-east-1:123456789012:audit", type="queue"),
            ownership="exclusive",
        ),
        bucket("mn/watched", s3_rule("w", type="queue", target="arn:minio:sqs::primary:webhook"), ownership="observe"),
        bucket("qs/quiet", qs_rule("fine")),
        providers=["qs", "bj", "jd", "aws", "mn"],
    )
    live = {
        "qs/photos": document(
            qs_rule("team-b-hook", notify_url="https://user:pw@hooks.example.com/b?token=t0ken"),
            qs_rule("thumbnails", cloudfunc="image", cloudfunc_args={"action": "resize:w_100", "key_prefix": "thumb"}),
            qs_rule("retired"),
        ),
        "bj/docs": document(
            bos_rule("ocr"),
            bos_rule("same"),
            foreign("legacy", raw={"encryption": {"key": SECRET}}, rule=bos_rule("legacy")),
        ),
        "jd/uploads": document(
            s3_rule("all"), foreign("ops"), s3_rule("jpg-callback", filter={"prefix": "images/", "suffix": ".jpg"})
        ),
        "aws/logs": document(s3_rule("stray", target="arn:aws:sns:us-east-1:123456789012:stray")),
        "mn/watched": document(),
        "qs/quiet": document(qs_rule("fine")),
    }
    # ce/gone: in state, but its provider was removed from the configuration
    # applied before: the declared rules found live are owned, recorded as they are live
    prior = state(
        qs__photos=[live["qs/photos"].rules[1].rule, qs_rule("retired"), qs_rule("vanished")],
        bj__docs=[bos_rule("ocr"), bos_rule("same")],
        jd__uploads=[s3_rule("all"), s3_rule("jpg-callback", filter={"prefix": "images/", "suffix": ".jpg"})],
        qs__quiet=[qs_rule("fine")],
        ce__gone=[s3_rule("x", target="alpha")],
    )
    return plan(cfg, live, prior)


def golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("RECONCILER_UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")


def test_text_plan_matches_golden() -> None:
    golden("plan.txt", render_plan_text(every_kind_of_change()))


def test_markdown_plan_matches_golden() -> None:
    golden("plan.md", render_plan_markdown(every_kind_of_change()))


def test_state_text_matches_golden() -> None:
    golden("state.txt", render_state_text(state(qs__photos=[qs_rule("a"), qs_rule("b")], bj__docs=[bos_rule("ocr")])))


def test_text_plan_shows_every_symbol_and_ends_with_the_summary() -> None:
    text = render_plan_text(every_kind_of_change())
    for line in (
        '  + rule "porn-check" will be created',
        '  ~ rule "thumbnails" will be updated in place',
        '      ~ cloudfunc_args.action = "resize:w_100" -> "resize:w_200"',
        '  - rule "retired" will be deleted (no longer in the configuration)',
        '  . rule "vanished" will be removed from the state only (already deleted outside reconciler)',
        '  + rule "w" would be created',
        '  ~ rule "jpg-callback" will move from position 3 to 1',
        '  = foreign rule "team-b-hook" kept as it is',
        '  ! foreign rule "stray" will be removed (exclusive ownership)',
        "      ~ encryption.key = (sensitive value) -> (sensitive value)",
        "  # mn/watched (s3/minio, observe): observe only, nothing will be written",
        "  # ce/gone (s3/ceph) cannot be planned: provider 'ce' is no longer configured",
    ):
        assert line in text, line
    assert "qs/quiet" not in text
    assert text.endswith(
        "Plan: 2 to add, 3 to change, 1 to delete. 3 foreign rules kept. 1 foreign rules removed. 1 to forget from state.\n"
    )


def test_no_changes_plan_says_so_and_still_ends_with_the_summary_line() -> None:
    result = plan(config(bucket("qs/b", qs_rule("r"))), {"qs/b": document(qs_rule("r"), foreign("f"))})
    summary = "Plan: 0 to add, 0 to change, 0 to delete. 1 foreign rules kept."
    assert render_plan_text(result) == f"{NO_CHANGES}\n{summary}\n"
    assert render_plan_markdown(result).startswith(
        f"{MARKER}\n<!-- labels: no-changes -->\n**{summary}**\n\n{NO_CHANGES}\n"
    )


def test_observe_differences_are_counted_in_plain_english() -> None:
    watched = bucket("qs/w", qs_rule("r"), ownership="observe")
    text = render_plan_text(plan(config(watched), {"qs/w": document()}))
    assert "No changes. 1 observed bucket differs from the configuration (never written).\n" in text


def test_plain_summary_line_without_removals_or_forgets() -> None:
    result = plan(config(bucket("qs/b", qs_rule("r"))), {"qs/b": document(foreign("f"))})
    assert (
        render_plan_text(result).splitlines()[-1] == "Plan: 1 to add, 0 to change, 0 to delete. 1 foreign rules kept."
    )


def test_colour_only_when_asked() -> None:
    result = every_kind_of_change()
    assert "\x1b[" not in render_plan_text(result, color=False)
    coloured = render_plan_text(result, color=True)
    assert "\x1b[32m+ rule " in coloured and "\x1b[1;31m! foreign rule " in coloured


def test_user_text_is_never_read_as_rich_markup() -> None:
    result = plan(
        config(bucket("aws/b", s3_rule("[bold]x[/bold]", filter={"prefix": "[red]p"}))), {"aws/b": document()}
    )
    text = render_plan_text(result, color=True)
    assert '"[bold]x[/bold]"' in text and '"[red]p"' in text


def test_no_output_format_ever_shows_a_secret() -> None:
    result = every_kind_of_change()
    prior = state(bj__docs=[bos_rule("ocr")])
    outputs = [
        render_plan_text(result),
        render_plan_text(result, color=True),
        render_plan_markdown(result),
        render_plan_json(result),
        render_state_text(prior),
        render_state_json(prior),
        render_state_markdown(prior),
    ]
    for output in outputs:
        assert SECRET not in output and ROTATED not in output
        assert "t0ken" not in output and "user:pw" not in output


def test_json_plan_is_the_document_and_validates() -> None:
    result = every_kind_of_change()
    output = render_plan_json(result)
    document_ = json.loads(output)
    schema = json.loads((SCHEMAS / "plan.schema.json").read_text())
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document_)
    assert Plan.from_document(document_) == result
    assert output == render_plan_json(Plan.from_document(document_))  # stable key order


def test_json_state_validates() -> None:
    document_ = json.loads(render_state_json(state(qs__b=[qs_rule("a")], bj__d=[bos_rule("k")])))
    jsonschema.Draft7Validator(json.loads((SCHEMAS / "state.schema.json").read_text())).validate(document_)


# --- the pull-request comment --------------------------------------------------------------------------------


def huge_plan(buckets: int = 400) -> Plan:
    rules = [qs_rule(f"rule-{i:02d}", object_filters=[f"*.ext{i}"]) for i in range(8)]
    cfg = config(*[bucket(f"qs/bucket-{n:04d}", *rules) for n in range(buckets)])
    return plan(cfg, {f"qs/bucket-{n:04d}": document() for n in range(buckets)})


def test_markdown_never_exceeds_60000_characters_and_keeps_the_summary() -> None:
    result = huge_plan()
    assert len(render_plan_text(result)) > 200_000
    comment = render_plan_markdown(result)
    assert len(comment) <= 60_000
    assert comment.startswith(
        f"{MARKER}\n<!-- labels: changes -->\n**Plan: 3200 to add, 0 to change, 0 to delete. 0 foreign rules kept.**\n"
    )
    assert "| `qs/bucket-0399` |" in comment  # the table survives, details are cut first
    assert comment.count("<details>") < 400
    assert comment.rstrip().endswith("prints everything._")


def test_markdown_cuts_table_rows_last_and_says_how_many() -> None:
    comment = render_plan_markdown(huge_plan(), limit=3_000)
    assert len(comment) <= 3_000 and "<details>" not in comment
    assert "more buckets with changes |" in comment and "**Plan: 3200 to add" in comment


def test_markdown_details_hold_each_bucket_section() -> None:
    comment = render_plan_markdown(every_kind_of_change())
    assert "<details><summary><code>qs/photos</code></summary>" in comment
    assert "| `qs/photos` | shared | update | 1 | 1 | 1 | 1 | 0 | 3 → 3 |" in comment
    assert "<!-- labels: changes, deletes-managed, removes-foreign, errored -->" in comment
    assert "1 other bucket unchanged." in comment


def test_markdown_fence_outlasts_backticks_in_values() -> None:
    result = plan(config(bucket("aws/b", s3_rule("r", filter={"prefix": "```oops"}))), {"aws/b": document()})
    assert "````diff\n" in render_plan_markdown(result)


# --- state ----------------------------------------------------------------------------------------------------


def test_state_list_prints_addresses_and_filters() -> None:
    prior = state(qs__b=[qs_rule("a"), qs_rule("b")], qs__c=[qs_rule("x")])
    assert render_state_list(prior) == "qs/b\nqs/b/a\nqs/b/b\nqs/c\nqs/c/x\n"
    assert render_state_list(prior, ["qs/c"]) == "qs/c\nqs/c/x\n"
    assert render_state_list(prior, ["qs/b/a"]) == "qs/b/a\n"
    assert render_state_list(prior, ["qs/bb"]) == ""


def test_empty_state_says_so() -> None:
    empty = StateFile.new("0.1.0")
    assert render_state_text(empty) == "The state is empty: nothing has been applied yet.\n"
    assert render_state_list(empty) == ""


@pytest.mark.parametrize("color", [False, True])
def test_state_text_shows_secrets_redacted(color: bool) -> None:
    text = render_state_text(state(bj__docs=[bos_rule("ocr")]), color=color)
    assert "encryption.key = (sensitive value)" in text

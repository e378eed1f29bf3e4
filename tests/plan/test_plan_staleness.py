"""Every refusal of a saved plan, decided in one place and worded as one family (plan/staleness.py)."""

from __future__ import annotations

import pytest

from reconciler.errors import StalePlanError
from reconciler.model import EnvRef
from reconciler.model.config import S3Provider
from reconciler.plan.planner import config_digest
from reconciler.plan.staleness import (
    check_declared,
    check_provider,
    configuration_changed,
    live_changed,
    state_for_saved_plan,
)
from reconciler.state.model import StateFile
from tests.support.plans import LINEAGE, PROVIDERS, bos_rule, bucket, config, document, plan, qs_rule, state

pytestmark = pytest.mark.unit

FAMILY = r"^Saved plan (is stale|does not match the given state): .*; (check --state, or )?(restore it or )?run plan again"


def saved(*rules):
    cfg = config(bucket("qs/b", *rules))
    return cfg, plan(cfg, {"qs/b": document()}, state())


def test_state_checks_keep_terraforms_two_headings() -> None:
    _, saved_plan = saved(qs_rule("a"))
    current = state()
    assert state_for_saved_plan(saved_plan, current, state_exists=True, state_path="s.json") is current
    with pytest.raises(StalePlanError, match=r"^Saved plan is stale: the state was changed .*\(plan serial 3, state serial 4\); run plan again$"):
        state_for_saved_plan(saved_plan, current.model_copy(update={"serial": 4}), state_exists=True, state_path="s.json")
    with pytest.raises(StalePlanError, match=r"^Saved plan does not match the given state: .*different state lineage"):
        other = current.model_copy(update={"lineage": "another"})
        state_for_saved_plan(saved_plan, other, state_exists=True, state_path="s.json")
    with pytest.raises(StalePlanError, match=r"no state at s.json; check --state, or run plan again$"):
        state_for_saved_plan(saved_plan, current, state_exists=False, state_path="s.json")


def test_a_plan_made_before_any_state_adopts_its_lineage() -> None:
    cfg = config(bucket("qs/b", qs_rule("a")))
    fresh = plan(cfg, {"qs/b": document()}, StateFile(tool_version="0.1.0", lineage=LINEAGE))
    adopted = state_for_saved_plan(fresh, StateFile.new("0.1.0"), state_exists=False, state_path="s.json")
    assert (adopted.lineage, adopted.serial) == (LINEAGE, 0)


def test_provider_checks_name_the_bucket() -> None:
    cfg, saved_plan = saved(qs_rule("a"))
    change = saved_plan.bucket("qs/b")
    entry = cfg.buckets[0]
    assert check_provider(change, PROVIDERS["qs"], opened=True, entry=entry).type == "qingstor"
    with pytest.raises(StalePlanError, match=r"^Saved plan is stale: qs/b: provider 'qs' is not in the configuration; restore it or run plan again$"):
        check_provider(change, None, opened=False, entry=entry)
    with pytest.raises(StalePlanError, match=r"^Saved plan is stale: qs/b: provider 'qs' is no longer qingstor as when planned; run plan again$"):
        check_provider(change, S3Provider(name="qs", flavor="aws"), opened=True, entry=entry)
    observed = entry.model_copy(update={"ownership": "observe"})
    with pytest.raises(StalePlanError, match=r"^Saved plan is stale: qs/b: the bucket is now observe-only"):
        check_provider(change, PROVIDERS["qs"], opened=True, entry=observed)


@pytest.mark.parametrize(
    ("changed", "why"),
    [
        (True, "the configuration changed since the plan"),
        (False, "the configuration is the one planned from, so the plan file was edited"),
        (None, "the configuration changed since the plan, or the plan was edited"),
    ],
)
def test_a_rule_no_longer_declared_says_which_side_moved(changed, why) -> None:
    cfg, saved_plan = saved(qs_rule("a"))
    entry = cfg.buckets[0]
    with pytest.raises(StalePlanError, match=FAMILY) as raised:
        check_declared(saved_plan.bucket("qs/b"), {"a": qs_rule("a", notify_url="https://x.example.com")}, entry, changed=changed)
    assert str(raised.value) == (
        f"Saved plan is stale: qs/b/a: the rule in the saved plan is not what the configuration declares ({why}); "
        "run plan again"
    )
    check_declared(saved_plan.bucket("qs/b"), {"a": qs_rule("a")}, entry, changed=changed)


def test_the_plans_config_digest_is_read() -> None:
    cfg, saved_plan = saved(qs_rule("a"))
    assert configuration_changed(saved_plan, config_digest(cfg)) is False
    edited = config(bucket("qs/b", qs_rule("a", notify_url="https://x.example.com")))
    assert configuration_changed(saved_plan, config_digest(edited)) is True
    assert configuration_changed(saved_plan.model_copy(update={"config_digest": None}), config_digest(cfg)) is None


def test_the_config_digest_does_not_depend_on_which_secrets_were_resolved() -> None:
    """plan --target resolves only the targeted buckets' secrets; apply of its saved plan resolves all."""
    resolved = config(bucket("bj/b", bos_rule("k")))
    unresolved = config(bucket("bj/b", bos_rule("k", secret=None, encryption={"key": EnvRef(env="BOS_KEY")})))
    assert config_digest(resolved) == config_digest(unresolved)
    assert config_digest(resolved) != config_digest(config(bucket("bj/b", bos_rule("k", ref="OTHER_KEY"))))


def test_a_live_document_that_moved_on_is_stale() -> None:
    _, saved_plan = saved(qs_rule("a"))
    change = saved_plan.bucket("qs/b")
    assert live_changed(change, document()) is None
    assert live_changed(change, document(qs_rule("x"))) == (
        "Saved plan is stale: live configuration of bucket qs/b changed since the plan; run plan again"
    )

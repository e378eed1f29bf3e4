"""The quick validity check (fastjsonschema) agrees with jsonschema on every instance: whole
documents and each dialect's rules, valid ones from the fixtures and damaged ones generated."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from ruamel.yaml import YAML

from reconciler.config.schema import DIALECT_DEFINITIONS, _document_validator, _quick_check, _rule_validator
from tests.config.test_config_fuzz import JSON_VALUES, TEXTS, damaged_tree

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RULES = [
    (bucket_rule, dialect)
    for text in TEXTS
    for bucket in (YAML(typ="safe").load(text) or {}).get("buckets") or []
    for bucket_rule in bucket.get("notifications") or []
    for dialect in DIALECT_DEFINITIONS
]
ODD_VALUES = JSON_VALUES | st.sampled_from(
    [True, False, 1, 1.0, 0, -1, "", " ", "a/b", "a b", "\x1c", "é", [], {}, None, ["create_object"], "2026-01-01"]
)


def agree(validator: Any, instance: Any) -> None:
    before = copy.deepcopy(instance)
    quick = _quick_check(validator)(instance)
    assert instance == before  # the quick check never fills in defaults
    assert quick == (not list(validator.iter_errors(instance))), json.dumps(instance, default=str)[:500]


@SETTINGS
@given(damaged_tree())
def test_documents_agree(content: str) -> None:
    agree(_document_validator(), json.loads(content))


@st.composite
def damaged_rule(draw: st.DrawFn) -> tuple[Any, str]:
    rule, dialect = draw(st.sampled_from(RULES))
    rule = copy.deepcopy(rule)
    for _ in range(draw(st.integers(0, 3))):
        keys = list(rule) if isinstance(rule, dict) else []
        operation = draw(st.sampled_from(["replace", "delete", "add"]))
        if operation == "replace" and keys:
            rule[draw(st.sampled_from(keys))] = draw(ODD_VALUES)
        elif operation == "delete" and keys:
            del rule[draw(st.sampled_from(keys))]
        elif isinstance(rule, dict):
            rule[draw(st.text(max_size=10))] = draw(ODD_VALUES)
    return rule, dialect


@SETTINGS
@given(damaged_rule())
def test_rules_agree(case: tuple[Any, str]) -> None:
    rule, dialect = case
    agree(_rule_validator(dialect), rule)


@pytest.mark.parametrize("dialect", sorted(DIALECT_DEFINITIONS))
def test_every_fixture_rule_agrees(dialect: str) -> None:
    for rule, _ in RULES:
        agree(_rule_validator(dialect), rule)

"""Rule sets, `use`, overrides, variables, bucket lists and selectors: expanded in config/ into the
per-bucket configuration, with every problem placed at the file and line it was written on."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from reconciler.config.loader import SelectorRequest, expand_configuration, load_configuration
from reconciler.errors import ConfigError
from reconciler.model.config import Configuration

HEAD = """\
version: 1
providers:
  qs: {type: qingstor, zone: pek3b}
  bj: {type: bos, region: bj}
"""
AUDIT = """\
rule_sets:
  audit:
    dialect: qingstor
    vars: {team: null, channel: alerts}
    notifications:
      - id: audit
        event_types: [delete_object]
        cloudfunc: notifier
        notify_url: "https://audit.example.com/${team}/${channel}/${provider}/${bucket}?x=$${literal}"
"""


def _write(tmp_path: Path, text: str, name: str = "config.yaml") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def _load(tmp_path: Path, body: str, resolve: Any = None) -> Configuration:
    return load_configuration([_write(tmp_path, HEAD + body)], resolve)


def _errors(tmp_path: Path, body: str, *more: tuple[str, str], resolve: Any = None) -> list[str]:
    paths = [_write(tmp_path, HEAD + body)] + [_write(tmp_path, text, name) for name, text in more]
    with pytest.raises(ConfigError) as caught:
        load_configuration(paths, resolve)
    return [str(d).replace(str(tmp_path) + "/", "") for d in caught.value.diagnostics]


def _listing(names: Sequence[str]) -> Any:
    def resolve(providers: Mapping[str, Any], requests: Sequence[SelectorRequest]) -> dict[str, list[str]]:
        return {request.key: list(request.selector.select(names)) for request in requests}

    return resolve


def _urls(config: Configuration) -> dict[str, list[str]]:
    return {b.address: [rule.notify_url for rule in b.notifications] for b in config.buckets}  # type: ignore[union-attr]


# --- expansion ----------------------------------------------------------------------------------


def test_a_rule_set_is_expanded_per_bucket_with_its_variables(tmp_path: Path) -> None:
    config = _load(
        tmp_path,
        AUDIT
        + """\
buckets:
  - provider: qs
    buckets: [a1, a2]
    use: [audit]
    vars: {team: pay}
  - provider: qs
    bucket: solo
    ownership: exclusive
    use: [audit]
    vars: {team: ops, channel: pager}
""",
    )
    assert _urls(config) == {
        "qs/a1": ["https://audit.example.com/pay/alerts/qs/a1?x=${literal}"],
        "qs/a2": ["https://audit.example.com/pay/alerts/qs/a2?x=${literal}"],
        "qs/solo": ["https://audit.example.com/ops/pager/qs/solo?x=${literal}"],
    }
    assert [b.ownership for b in config.buckets] == ["shared", "shared", "exclusive"]
    assert config.buckets[0].notifications[0] is config.buckets[0].notifications[0]


def test_overrides_change_scalar_fields_of_rule_set_rules_and_own_rules_follow(tmp_path: Path) -> None:
    config = _load(
        tmp_path,
        AUDIT
        + """\
buckets:
  - provider: qs
    buckets: [a1]
    use: [audit]
    vars: {team: pay}
    overrides:
      audit: {notify_url: "https://special.example.com/${bucket}", cloudfunc: tupu-porn}
    notifications:
      - {id: own, event_types: [create_object], cloudfunc: notifier, notify_url: "https://own.example.com/${team}"}
""",
    )
    (bucket,) = config.buckets
    assert [(r.id, r.cloudfunc, r.notify_url) for r in bucket.notifications] == [  # type: ignore[union-attr]
        ("audit", "tupu-porn", "https://special.example.com/a1"),
        ("own", "notifier", "https://own.example.com/pay"),
    ]


def test_an_expanded_configuration_equals_the_explicit_one(tmp_path: Path) -> None:
    compact = _load(
        tmp_path,
        AUDIT + "buckets:\n  - {provider: qs, buckets: [a1, a2], use: [audit], vars: {team: pay}}\n",
    )
    rule = (
        "{id: audit, event_types: [delete_object], cloudfunc: notifier, "
        'notify_url: "https://audit.example.com/pay/alerts/qs/%s?x=${literal}"}'
    )
    explicit = load_configuration(
        [
            _write(
                tmp_path,
                HEAD
                + "buckets:\n"
                + "".join(f"  - {{provider: qs, bucket: {b}, notifications: [{rule % b}]}}\n" for b in ("a1", "a2")),
                "explicit.yaml",
            )
        ]
    )
    assert [b.model_copy(update={"source": None}) for b in compact.buckets] == [
        b.model_copy(update={"source": None}) for b in explicit.buckets
    ]


def test_a_selector_is_resolved_by_the_callback_only_when_all_else_is_valid(tmp_path: Path) -> None:
    body = AUDIT + (
        "buckets:\n  - provider: qs\n    select: {include: ['logs-*', {regex: '^app-[0-9]+$'}], exclude: ['logs-tmp-*']}\n"
        "    use: [audit]\n    vars: {team: t}\n"
    )
    config = _load(tmp_path, body, _listing(["logs-a", "logs-tmp-1", "app-12", "app-x", "other"]))
    assert [b.bucket for b in config.buckets] == ["app-12", "logs-a"]
    (selection,) = config.selections
    assert selection.buckets == ("app-12", "logs-a") and selection.entry.endswith("config.yaml:15:5")
    offline = _load(tmp_path, body)
    assert offline.buckets == () and offline.selections[0].buckets == ()

    def never(*_: Any) -> Any:
        raise AssertionError("a configuration with errors must not list buckets")

    broken = body.replace("vars: {team: t}", "vars: {team: t}\n    notifications: [{id: x}]")
    assert any("missing required field 'event_types'" in e for e in _errors(tmp_path, broken, resolve=never))


def test_a_plain_entry_means_exactly_what_it_says(tmp_path: Path) -> None:
    """No substitution where no rule set, vars or bucket list is involved: files written before rule
    sets existed keep their meaning, `${` and all."""
    rule = '{id: r, event_types: [create_object], cloudfunc: notifier, notify_url: "https://x.example.com/${bucket}"}'
    config = _load(tmp_path, f"buckets:\n  - {{provider: qs, bucket: b1, notifications: [{rule}]}}\n")
    assert _urls(config) == {"qs/b1": ["https://x.example.com/${bucket}"]}
    listed = _load(tmp_path, f"buckets:\n  - {{provider: qs, buckets: [b1], notifications: [{rule}]}}\n")
    assert _urls(listed) == {"qs/b1": ["https://x.example.com/b1"]}


def test_show_config_data_keeps_rules_as_expanded(tmp_path: Path) -> None:
    path = _write(
        tmp_path, HEAD + AUDIT + "buckets:\n  - {provider: qs, buckets: [a1], use: [audit], vars: {team: p}}\n"
    )
    _, expanded = expand_configuration([path])
    (bucket,) = expanded
    assert bucket.entry.endswith("config.yaml:15") and not bucket.selected
    assert bucket.rules[0]["notify_url"] == "https://audit.example.com/p/alerts/qs/a1?x=${literal}"


# --- every error, placed where it was written ---------------------------------------------------


def test_variable_errors(tmp_path: Path) -> None:
    body = """\
rule_sets:
  bad:
    dialect: qingstor
    vars: {team: null}
    notifications:
      - {id: a, event_types: [create_object], cloudfunc: notifier, notify_url: "https://x/${teem}"}
      - {id: b, event_types: [create_object], cloudfunc: notifier, notify_url: "https://x/${team"}
      - {id: c, event_types: [create_object], cloudfunc: notifier, notify_url: "https://x/${a-b}"}
buckets:
  - provider: qs
    buckets: [b1]
    notifications:
      - {id: own, event_types: [create_object], cloudfunc: notifier, notify_url: "https://x/${nope}"}
"""
    assert _errors(tmp_path, body) == [
        "config.yaml:10:80: rule_sets.bad.notifications[0].notify_url: unknown variable '${teem}' "
        "(known here: bucket, provider, team); did you mean 'team'?",
        "config.yaml:11:80: rule_sets.bad.notifications[1].notify_url: 'https://x/${team' has a '${' without its "
        "closing '}' (write '$${' for a literal '${')",
        "config.yaml:12:80: rule_sets.bad.notifications[2].notify_url: '${a-b}' is not a variable: write ${NAME} "
        "with letters, digits and '_'",
        "config.yaml:17:82: buckets[0].notifications[0].notify_url: unknown variable '${nope}' "
        "(known here: bucket, provider)",
    ]


def test_entry_errors(tmp_path: Path) -> None:
    body = (
        AUDIT
        + """\
  bos-set:
    dialect: bos
    notifications: []
buckets:
  - {provider: qs, buckets: [a1, a2, a1], use: [audti], vars: {team: x}}
  - {provider: qs, bucket: b1, use: [audit]}
  - {provider: qs, bucket: b2, use: [bos-set]}
  - {provider: qs, bucket: b3, use: [audit, audit], vars: {team: x}}
  - {provider: qs, bucket: b4, buckets: [b5]}
  - {provider: qs}
  - provider: qs
    bucket: b6
    use: [audit]
    vars: {team: x}
    overrides: {audt: {cloudfunc: x}, audit: {id: other, event_types: create_object}}
  - {provider: qs, select: {include: [{regex: "(a"}, "a/b"]}}
"""
    )
    assert _errors(tmp_path, body) == [
        "config.yaml:18:38: buckets[0].buckets[2]: bucket 'a1' is listed twice in this entry (see config.yaml:18:30)",
        "config.yaml:18:49: buckets[0].use[0]: rule set 'audti' is not defined; did you mean 'audit'?",
        "config.yaml:19:5: buckets[1]: rule set 'audit' needs a value for variable 'team': add it under vars "
        "(declared at config.yaml:8:12)",
        "config.yaml:20:38: buckets[2].use[0]: rule set 'bos-set' holds bos rules, but provider 'qs' is qingstor "
        "(rule set defined at config.yaml:14:3)",
        "config.yaml:21:45: buckets[3].use[1]: rule set 'audit' is used twice",
        "config.yaml:22:5: buckets[4]: a bucket entry names its buckets with exactly one of bucket, buckets or "
        "select; it has bucket, buckets",
        "config.yaml:23:5: buckets[5]: a bucket entry names its buckets with exactly one of bucket, buckets or select",
        "config.yaml:28:17: buckets[6].overrides.audt: no rule 'audt' comes from the rule sets this entry uses; "
        "did you mean 'audit'?",
        "config.yaml:28:47: buckets[6].overrides.audit.id: the id of a rule cannot be overridden",
        "config.yaml:28:58: buckets[6].overrides.audit.event_types: only scalar fields can be overridden; "
        "'event_types' is a list in rule 'audit'",
        "config.yaml:29:47: buckets[7].select.include[0].regex: '(a' is not an RE2 regular expression: missing ): (a",
        "config.yaml:29:54: buckets[7].select.include[1]: 'a/b' can never match: bucket names contain no '/'",
    ]


def test_a_variable_no_rule_uses_is_an_error(tmp_path: Path) -> None:
    body = AUDIT + "buckets:\n  - {provider: qs, bucket: b, use: [audit], vars: {team: x, chanel: y}}\n"
    assert _errors(tmp_path, body) == [
        "config.yaml:15:61: buckets[0].vars.chanel: variable 'chanel' is used by no rule of this entry "
        "(its rule sets declare: channel, team); did you mean 'channel'?"
    ]


def test_undefined_rule_sets_are_named_with_what_is_defined(tmp_path: Path) -> None:
    assert _errors(tmp_path, "buckets:\n  - {provider: qs, bucket: b, use: [zzz]}\n") == [
        "config.yaml:6:37: buckets[0].use[0]: rule set 'zzz' is not defined (no rule sets are defined)"
    ]
    body = AUDIT + "buckets:\n  - {provider: qs, bucket: b, use: [zzz]}\n"
    assert _errors(tmp_path, body) == [
        "config.yaml:15:37: buckets[0].use[0]: rule set 'zzz' is not defined (defined: audit)"
    ]


def test_schema_errors_of_the_new_keys(tmp_path: Path) -> None:
    body = """\
rule_sets:
  s: {dialect: gcs, notifications: []}
buckets:
  - {provider: qs, select: {include: []}}
  - {provider: qs, buckets: [], vars: {team: 1}}
  - {provider: qs, bucket: x, overrides: {r: {f: [1]}}}
"""
    errors = _errors(tmp_path, body)
    assert errors == [
        "config.yaml:6:16: rule_sets.s.dialect: 'gcs' is not one of 'qingstor', 'bos' or 's3'",
        "config.yaml:8:38: buckets[0].select.include: must not be empty",
        "config.yaml:9:29: buckets[1].buckets: must not be empty",
        "config.yaml:9:46: buckets[1].vars.team: expected a string, got a number (1)",
        "config.yaml:10:43: buckets[2].overrides.r: no rule 'r' comes from the rule sets this entry uses "
        "(it uses no rule set)",
        "config.yaml:10:50: buckets[2].overrides.r.f: expected a string, a number or true or false, got a list",
    ]


def test_a_problem_in_a_rule_set_names_the_buckets_it_was_expanded_for(tmp_path: Path) -> None:
    rule_sets = """\
version: 1
rule_sets:
  audit:
    dialect: qingstor
    vars: {url: null}
    notifications:
      - {id: audit, event_types: [delete_object], cloudfunc: notifier, notify_url: "${url}"}
"""
    body = """\
buckets:
  - {provider: qs, buckets: [a1, a2, a3], use: [audit], vars: {url: "not a url"}}
  - {provider: qs, bucket: b1, use: [audit], vars: {url: "https://ok.example.com"}, overrides: {audit: {cloudfunc: nope}}}
  - {provider: qs, select: {include: ["x-*"]}, use: [audit], vars: {url: "ftp://x"}}
"""
    assert _errors(tmp_path, body, ("sets.yaml", rule_sets)) == [
        "config.yaml:7:116: buckets[1].overrides.audit.cloudfunc: 'nope' is not one of 'tupu-porn', 'notifier' or "
        "'image' (expanded for bucket qs/b1 by the entry at config.yaml:7:5)",
        "sets.yaml:7:84: rule_sets.audit.notifications[0].notify_url: 'not a url' is not an http:// or https:// URL "
        "(expanded for bucket qs/a1 and 2 other buckets by the entry at config.yaml:6:5)",
        "sets.yaml:7:84: rule_sets.audit.notifications[0].notify_url: 'ftp://x' is not an http:// or https:// URL "
        "(for every bucket the selector of the entry at config.yaml:8:5 matches)",
    ]


def test_rule_sets_and_buckets_are_unique_across_files(tmp_path: Path) -> None:
    other = "version: 1\nrule_sets:\n  audit: {dialect: qingstor, notifications: []}\nbuckets:\n  - {provider: qs, bucket: a2}\n"
    body = AUDIT + "buckets:\n  - {provider: qs, buckets: [a1, a2], use: [audit], vars: {team: x}}\n"
    assert _errors(tmp_path, body, ("other.yaml", other)) == [
        "other.yaml:3:3: rule_sets.audit: rule set 'audit' is already defined at config.yaml:6:3",
        "other.yaml:5:5: buckets[0]: bucket qs/a2 is matched by two entries: this one and the one at "
        "config.yaml:15:34; a bucket belongs to one entry",
    ]


def test_an_unused_rule_set_is_still_checked(tmp_path: Path) -> None:
    body = """\
rule_sets:
  spare:
    dialect: bos
    notifications:
      - {id: r, appId: a, status: on, resources: ["/"], events: [PutObject], apps: [{id: a, eventUrl: "https://x"}]}
buckets: []
"""
    (error,) = _errors(tmp_path, body)
    assert error.startswith("config.yaml:9:35: rule_sets.spare.notifications[0].status: 'on' is not one of")


def test_the_example_file_is_valid_and_expands(tmp_path: Path) -> None:
    example = Path(__file__).parents[2] / "examples" / "many-buckets.yaml"
    listing = ["logs-app", "logs-tmp-1", "archive-2024", "archive-x", "billing-invoices"]
    config = load_configuration([str(example)], _listing(listing))
    assert [b.bucket for b in config.buckets] == ["archive-2024", "logs-app", "billing-invoices", "billing-receipts"]
    assert {b.ownership for b in config.buckets} == {"shared"}
    assert _urls(config)["qingstor-sh1a/logs-app"] == [
        "https://audit.example.com/audit/platform/qingstor-sh1a/logs-app"
    ]
    assert _urls(config)["qingstor-sh1a/billing-invoices"][0] == "https://audit.example.com/finance/billing-invoices"


def test_the_published_schema_gives_editors_the_new_keys() -> None:
    """What yaml-language-server sees: the example validates whole, and an entry naming its buckets
    twice, or a selector with an unknown key, is refused by the schema alone."""
    from jsonschema import Draft7Validator
    from ruamel.yaml import YAML

    from reconciler.config.schema import published_schema

    validator = Draft7Validator(published_schema())
    example = YAML(typ="safe").load((Path(__file__).parents[2] / "examples" / "many-buckets.yaml").read_text())
    assert list(validator.iter_errors(example)) == []
    both = {"version": 1, "buckets": [{"provider": "qs", "bucket": "a", "select": {"include": ["a*"]}}]}
    assert [e.validator for e in validator.iter_errors(both)] == ["oneOf"]
    unknown = {"version": 1, "buckets": [{"provider": "qs", "select": {"include": ["a*"], "exlude": ["b"]}}]}
    assert [e.validator for e in validator.iter_errors(unknown)] == ["additionalProperties"]


def test_a_rule_set_dialect_that_is_a_list_is_a_schema_error_not_a_crash(tmp_path: Path) -> None:
    body = """\
rule_sets:
  s: {dialect: [qingstor], notifications: []}
buckets:
  - {provider: qs, bucket: x}
"""
    errors = _errors(tmp_path, body)
    assert len(errors) == 1 and errors[0].startswith("config.yaml:6:16: rule_sets.s.dialect: "), errors

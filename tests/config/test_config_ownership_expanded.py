"""Ownership keys (issue 9) on entries that expand to many buckets (issue 13): `adopt`,
`ownership: release`, top-level `released:` and the alias check hold for every bucket an entry
names or its selector resolves to."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from reconciler.config.loader import SelectorRequest, expand_configuration, load_configuration
from reconciler.errors import ConfigError
from reconciler.render.expanded import render_expanded_yaml

HEAD = """\
version: 1
providers:
  qs: {type: qingstor, zone: pek3b}
  qs2: {type: qingstor, zone: pek3b, endpoint: 'HTTPS://PEK3B.qingstor.com/'}
rule_sets:
  audit:
    dialect: qingstor
    notifications:
      - {id: audit, event_types: [delete_object], cloudfunc: notifier, notify_url: "https://a.example.com/${bucket}"}
"""


def _write(tmp_path: Path, body: str) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(HEAD + textwrap.dedent(body))
    return str(path)


def _listing(names: Sequence[str]) -> Any:
    def resolve(providers: Mapping[str, Any], requests: Sequence[SelectorRequest]) -> dict[str, list[str]]:
        return {request.key: list(request.selector.select(names)) for request in requests}

    return resolve


def _errors(tmp_path: Path, body: str, resolve: Any = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_configuration([_write(tmp_path, body)], resolve)
    return [str(d).replace(str(tmp_path) + "/", "") for d in caught.value.diagnostics]


def test_an_alias_through_a_bucket_list_is_refused_naming_the_list_item(tmp_path: Path) -> None:
    body = """\
    buckets:
      - {provider: qs, buckets: [logs, photos], use: [audit]}
      - {provider: qs2, bucket: photos}
    """
    (error,) = _errors(tmp_path, body)
    assert error.startswith("config.yaml:12:5: buckets[1]: bucket qs2/photos is the same bucket as qs/photos ")
    assert "declared at config.yaml:11:36 (qingstor at https://pek3b.qingstor.com, bucket 'photos')" in error


def test_an_alias_through_a_resolved_selector_is_refused(tmp_path: Path) -> None:
    body = """\
    buckets:
      - {provider: qs, select: {include: ["logs-*"]}, use: [audit]}
      - {provider: qs2, buckets: [logs-b]}
    """
    load_configuration([_write(tmp_path, body)])  # offline: the selector's buckets are not known
    (error,) = _errors(tmp_path, body, resolve=_listing(["logs-a", "logs-b"]))
    assert "buckets[1].buckets[0]: bucket qs2/logs-b is the same bucket as qs/logs-b declared at " in error
    assert error.startswith("config.yaml:12:31: ")
    assert "declared at config.yaml:11:20 " in error  # the selector that matched it


def test_adopt_holds_for_every_bucket_and_may_name_a_rule_sets_rule(tmp_path: Path) -> None:
    body = """\
    buckets:
      - {provider: qs, buckets: [a, b], use: [audit], adopt: [audit], ownership: exclusive}
    """
    config, expanded = expand_configuration([_write(tmp_path, body)])
    assert [(b.address, b.adopt, b.ownership) for b in config.buckets] == [
        ("qs/a", ("audit",), "exclusive"),
        ("qs/b", ("audit",), "exclusive"),
    ]
    shown = render_expanded_yaml(config, expanded, offline=True)
    assert shown.count("adopt:") == 2


def test_adopt_of_a_rule_the_entry_does_not_declare_names_the_buckets(tmp_path: Path) -> None:
    body = """\
    buckets:
      - {provider: qs, buckets: [a, b], use: [audit], adopt: [audti]}
    """
    (error,) = _errors(tmp_path, body)
    assert error.startswith("config.yaml:11:59: buckets[0].adopt[0]: adopt names 'audti', which the entry does ")
    assert "for bucket(s) qs/a, qs/b" in error and "did you mean 'audit'?" in error


def test_a_released_entry_uses_no_rule_set(tmp_path: Path) -> None:
    body = """\
    buckets:
      - {provider: qs, buckets: [a], use: [audit], ownership: release}
    """
    (error,) = _errors(tmp_path, body)
    assert "buckets[0].use: a bucket with ownership: release declares no rules" in error


def test_a_released_address_is_declared_by_no_expanded_entry(tmp_path: Path) -> None:
    listed = """\
    buckets:
      - {provider: qs, buckets: [a, b], use: [audit]}
    released: [qs/b/audit, qs/a]
    """
    errors = _errors(tmp_path, listed)
    assert len(errors) == 2
    assert errors[0].startswith("config.yaml:12:12: released[0]: qs/b/audit is released but declared as a rule at ")
    assert "declared as a rule at config.yaml:9:9 " in errors[0]
    assert "(expanded for bucket qs/b by the entry at config.yaml:11:5)" in errors[0]
    assert "released[1]: qs/a is released but declared as a bucket (with rules) at config.yaml:11:5" in errors[1]
    selected = """\
    buckets:
      - {provider: qs, select: {include: ["logs-*"]}, use: [audit]}
    released: [qs/logs-b/audit]
    """
    load_configuration([_write(tmp_path, selected)])  # offline: nothing to compare with
    (error,) = _errors(tmp_path, selected, resolve=_listing(["logs-a", "logs-b"]))
    assert "released[0]: qs/logs-b/audit is released but declared as a rule" in error
    config = load_configuration([_write(tmp_path, selected)], _listing(["logs-a"]))
    assert config.released == ("qs/logs-b/audit",)

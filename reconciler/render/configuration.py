"""The paste-ready configuration YAML `reconciler import` prints: one bucket entry, secrets as references."""

from __future__ import annotations

import io
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from reconciler.core.address import BucketAddress
from reconciler.kinds import Dialect, dialect_for
from reconciler.model.config import BucketConfig, ProviderConfig
from reconciler.model.document import Rule
from reconciler.plan.rules import reached, rule_document


def configuration_yaml(
    address: str,
    provider: ProviderConfig,
    rules: tuple[Rule, ...],
    declared: BucketConfig | None,
    *,
    entry_buckets: int = 1,
) -> str:
    """A `version: 1` document declaring `rules` of bucket `address`; `declared` is its existing entry,
    if any, which names `entry_buckets` buckets (a bucket list or a selector names more than one)."""
    dialect = dialect_for(provider)
    entry = CommentedMap()
    entry["provider"] = provider.name
    entry["bucket"] = BucketAddress.of(address).bucket
    notifications = CommentedSeq()
    for rule in rules:
        notifications.append(_rule_map(rule, dialect))
    for found in dialect.shadowing([rule.model_dump() for rule in rules]):
        notifications.yaml_set_comment_before_after_key(
            found.shadowed,
            before=(
                f"can never fire: {rules[found.by].id!r} above matches every event and key it matches first "
                "(first match wins); validate refuses this until it is moved above it or removed"
            ),
            indent=4,
        )
    entry["notifications"] = notifications
    document = CommentedMap()
    document["version"] = 1
    document["buckets"] = CommentedSeq([entry])
    place = ""
    if declared is not None and declared.source is not None:
        line = f" line {declared.source.line}" if declared.source.line is not None else ""
        place = f" in {declared.source.file}{line}"
    where = (
        f"{address} is already declared{place}: add the rules below to its notifications."
        if declared is not None
        else "Save this as a new file in the configuration directory, or add the bucket entry to a `buckets:` list."
    )
    if declared is not None and entry_buckets > 1:
        where = (
            f"{address} is declared{place} by an entry for {entry_buckets} buckets (a bucket list or selector): "
            "rules added to its notifications go to every one of them; to keep them to this bucket, move it "
            "to an entry of its own."
        )
    document.yaml_set_start_comment(f"Imported by `reconciler import {address}`.\n{where}")
    stream = io.StringIO()
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never fold a long URL or target
    yaml.dump(document, stream)
    return stream.getvalue()


def secret_variable(rule_id: str, path: str) -> str:
    """A suggested environment variable for a secret field of a rule: BOS_OCR_ENCRYPTION_KEY."""
    words = re.sub(r"[^A-Za-z0-9]+", "_", f"{rule_id}_{path}").strip("_").upper()
    return f"BOS_{words}" if words else "BOS_SECRET"


def _rule_map(rule: Rule, dialect: Dialect) -> CommentedMap:
    document = _trimmed(rule_document(rule, dialect))
    secrets = []
    for path in dialect.sensitive_paths:
        for container, key in reached(document, path):
            variable = secret_variable(rule.id, path.replace("[]", ""))
            container[key] = {"env": variable}
            secrets.append((path.replace("[]", ""), variable))
    mapping = _commented(document)
    for path, variable in secrets:
        parent, _, leaf = path.rpartition(".")
        holder = mapping
        for step in parent.split(".") if parent else []:
            holder = holder[step]
        holder.yaml_add_eol_comment(f"secret, never printed: set {variable} to this rule's value", leaf)
    return mapping


def _trimmed(value: Any) -> Any:
    """Absent fields, empty sets and empty filters left out, as a person would write the rule."""
    if isinstance(value, dict):
        if set(value) == {"digest", "ref"}:
            return value  # a secret: replaced by its reference afterwards
        trimmed = {k: _trimmed(v) for k, v in value.items()}
        return {k: v for k, v in trimmed.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_trimmed(item) for item in value]
    return value


def _commented(value: Any) -> Any:
    """ruamel containers; sets of scalars and secret references in flow style, as people write them."""
    if isinstance(value, dict):
        mapping = CommentedMap()
        for key, item in value.items():
            mapping[key] = _commented(item)
        if set(value) <= {"env", "file"}:
            mapping.fa.set_flow_style()
        return mapping
    if isinstance(value, list):
        sequence = CommentedSeq([_commented(item) for item in value])
        if all(not isinstance(item, (dict, list)) for item in value):
            sequence.fa.set_flow_style()
        return sequence
    return value

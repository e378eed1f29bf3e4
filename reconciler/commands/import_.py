"""`reconciler import ADDR`: bring existing live rules under management without touching them.

Takes the state lock, reads the live bucket, records its rules (or the one rule) in the state as
managed, and prints them on stdout as configuration YAML ready to paste, so the next `plan`
shows no changes. Nothing live is written. Secrets are never printed: each becomes an
`{env: …}` reference to set. Messages go to stderr, so stdout can be redirected into a file.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import re
import stat
import sys
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from reconciler.apply.engine import utc_now
from reconciler.commands.console import enable_verbose
from reconciler.commands.workspace import load_config, open_clients, state_path
from reconciler.config.source import discover
from reconciler.errors import ReconcilerError
from reconciler.model.config import BucketConfig, Configuration, ProviderConfig
from reconciler.model.dialect import Dialect, dialect_for
from reconciler.model.document import LiveDocument, Rule
from reconciler.plan.rules import reached, rule_document
from reconciler.state.lock import StateLock
from reconciler.state.model import StateFile, split_address
from reconciler.state.store import load_state, save_state


@dataclass(frozen=True)
class Adoption:
    """What an import takes over, and what it leaves as it is (with why)."""

    address: str  # the bucket
    rules: tuple[Rule, ...]
    skipped: tuple[str, ...] = ()  # one sentence each


def run(args: argparse.Namespace) -> int:
    enable_verbose(args)
    config = load_config(config_without_output(args.config), os.environ, [args.address])
    try:
        address, rule_id = split_address(args.address)
    except ValueError as exc:
        raise ReconcilerError(str(exc)) from None
    provider_name, bucket = address.split("/", 1)
    provider = config.providers.get(provider_name)
    if provider is None:
        known = ", ".join(sorted(config.providers)) or "none"
        raise ReconcilerError(
            f"cannot import {args.address}: provider {provider_name!r} is not in the configuration "
            f"(configured: {known}); declare it under `providers:` first"
        )
    path = state_path(args.state)
    with StateLock(path, "import", timeout=args.lock_timeout):
        state = load_state(path)
        live = asyncio.run(_read(config, provider, bucket))
        adoption = choose_rules(state, address, live, rule_id)
        saved = save_state(path, adopt(state, provider, bucket, live, adoption))
    for reason in adoption.skipped:
        sys.stderr.write(f"Skipped: {reason}\n")
    count = len(adoption.rules)
    sys.stderr.write(
        f"Imported {count} rule{'s' if count != 1 else ''} of {address} into {path} (serial {saved.serial}). "
        "Add the printed configuration to the configuration files, then `reconciler plan` shows no changes.\n"
    )
    sys.stdout.write(configuration_yaml(address, provider, adoption.rules, config.bucket(address)))
    return 0


def config_without_output(locations: list[str] | None) -> list[str] | None:
    """The configuration files to read, less the empty file stdout was just redirected into
    (`reconciler import qs/photos > notifications/photos.yaml`): the output is not an input."""
    try:
        output = os.fstat(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
        return locations
    if not stat.S_ISREG(output.st_mode) or output.st_size != 0:
        return locations
    names, problems = discover(locations)
    kept = [name for name in names if not _same_file(name, output)]
    return kept if not problems and kept and len(kept) < len(names) else locations


def _same_file(name: str, output: os.stat_result) -> bool:
    try:
        found = os.stat(name)
    except OSError:
        return False
    return (found.st_dev, found.st_ino) == (output.st_dev, output.st_ino)


async def _read(config: Configuration, provider: ProviderConfig, bucket: str) -> LiveDocument:
    async with open_clients(config, [provider.name], parallelism=1, environ=os.environ) as clients:
        return await clients[provider.name].read(bucket)


def choose_rules(state: StateFile, address: str, live: LiveDocument, rule_id: str | None) -> Adoption:
    """The live rules an import adopts; ReconcilerError when there is nothing it may adopt."""
    owned = state.owned(address)
    if rule_id is not None:
        entry = live.by_id().get(rule_id)
        if entry is None:
            ids = ", ".join(i for i in live.ids if i is not None) or "no rules"
            raise ReconcilerError(
                f"cannot import {address}/{rule_id}: the live bucket has no rule {rule_id!r} (it has: {ids})"
            )
        if rule_id in owned:
            raise ReconcilerError(f"cannot import {address}/{rule_id}: it is already managed (recorded in the state)")
        if entry.rule is None:
            raise ReconcilerError(
                f"cannot import {address}/{rule_id}: the live rule does not fit the provider's rule format, "
                "so it cannot be declared; fix or recreate it first"
            )
        return Adoption(address, (entry.rule,))
    adopted: dict[str, Rule] = {}
    skipped = []
    for index, entry in enumerate(live.rules):
        if entry.id is None:
            skipped.append(f"{address}: the rule at position {index} has no id, so it stays foreign")
        elif entry.id in owned:
            skipped.append(f"{address}/{entry.id} is already managed")
        elif entry.rule is None:
            skipped.append(f"{address}/{entry.id} does not fit the provider's rule format, so it stays foreign")
        elif entry.id in adopted:
            skipped.append(f"{address}/{entry.id} appears more than once live; the first is imported")
        else:
            adopted[entry.id] = entry.rule
    if not adopted:
        detail = f": {'; '.join(skipped)}" if skipped else ": the live bucket has no notification rules"
        raise ReconcilerError(f"nothing to import in {address}{detail}")
    return Adoption(address, tuple(adopted.values()), tuple(skipped))


def adopt(state: StateFile, provider: ProviderConfig, bucket: str, live: LiveDocument, adoption: Adoption) -> StateFile:
    """The state with the adopted rules recorded as managed, normalised, secrets as digests."""
    dialect = dialect_for(provider)
    rules = state.owned(adoption.address)
    rules.update({rule.id: rule_document(rule, dialect) for rule in adoption.rules})
    return state.with_bucket_applied(
        adoption.address,
        provider=provider.name,
        type=provider.type,
        flavor=dialect.flavor,
        bucket=bucket,
        rules=rules,
        foreign=[rule_id for rule_id in live.ids if rule_id is not None and rule_id not in rules],
        live_fingerprint=live.fingerprint,
        applied_at=utc_now(),
    )


# --- the configuration to paste -----------------------------------------------------------------


def configuration_yaml(
    address: str, provider: ProviderConfig, rules: tuple[Rule, ...], declared: BucketConfig | None
) -> str:
    dialect = dialect_for(provider)
    entry = CommentedMap()
    entry["provider"] = provider.name
    entry["bucket"] = address.split("/", 1)[1]
    notifications = CommentedSeq()
    for rule in rules:
        notifications.append(_rule_map(rule, dialect))
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

"""From files to a validated `Configuration`, or a ConfigError carrying every problem found.

Order of work: read and parse each file; check each file against the schema (rules aside);
merge all files (provider names and (provider, bucket) pairs unique across them); check each
bucket's rules against its provider's dialect and the provider rules; build the models.
Cross-file checks that need every file (is a provider defined?) run only when every file
could be read, so one broken file does not cause a cascade of false errors in the others.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from reconciler.config.diagnostics import Diagnostic, Finding, Path, near_miss, quote
from reconciler.config.rules import RuleEntry, bucket_findings, provider_findings
from reconciler.config.schema import describe, document_findings, rule_findings
from reconciler.config.source import SourceFile, discover, read_source
from reconciler.errors import ConfigError
from reconciler.kinds import KINDS
from reconciler.model.config import BucketConfig, Configuration

SUPPORTED_VERSION = 1


def load_configuration(paths: Sequence[str] | None) -> Configuration:
    """Load, validate and merge the configuration named by `-c` (default ./notifications)."""
    names, problems = discover(paths)
    loader = _Loader(problems)
    for name in names:
        loader.read(name)
    loader.check_providers()
    loader.check_buckets()
    loader.check_ownership()
    configuration = loader.build() if not loader.diagnostics else None
    if configuration is None:
        raise ConfigError(sorted(loader.diagnostics, key=lambda diagnostic: diagnostic.sort_key))
    return configuration


@dataclass(frozen=True)
class _Declared:
    """A provider or bucket entry and where it was written."""

    source: SourceFile
    path: Path
    data: Any


class _Loader:
    def __init__(self, problems: list[Diagnostic]) -> None:
        self.diagnostics = list(problems)
        self.complete = not problems  # every named file was read
        self.providers: dict[str, _Declared] = {}
        self.buckets: list[_Declared] = []
        self.released: list[_Declared] = []  # each item of a top-level `released:` list

    def report(self, source: SourceFile, findings: Iterable[Finding]) -> None:
        self.diagnostics += [source.diagnostic(finding) for finding in findings]

    def read(self, name: str) -> None:
        source = read_source(name)
        self.diagnostics += source.diagnostics
        if not source.parsed or not self._header_ok(source):
            self.complete = False
            return
        self.report(source, document_findings(source.data))
        providers = source.data.get("providers")
        for provider_name, data in providers.items() if isinstance(providers, dict) else ():
            self._add_provider(provider_name, _Declared(source, ("providers", provider_name), data))
        buckets = source.data.get("buckets")
        for index, data in enumerate(buckets) if isinstance(buckets, list) else ():
            self.buckets.append(_Declared(source, ("buckets", index), data))
        released = source.data.get("released")
        for index, data in enumerate(released) if isinstance(released, list) else ():
            if isinstance(data, str):
                self.released.append(_Declared(source, ("released", index), data))

    def _header_ok(self, source: SourceFile) -> bool:
        """A mapping of a version this reconciler reads (a missing version is the schema's to report)."""
        data = source.data
        if data is None:
            self.report(source, [Finding((), "the file is empty; a configuration file starts with version: 1")])
            return False
        if not isinstance(data, dict):
            message = f"expected a mapping with version, providers and buckets at the top level, got {describe(data)}"
            self.report(source, [Finding((), message)])
            return False
        version = data.get("version", SUPPORTED_VERSION)
        if type(version) is not int or version != SUPPORTED_VERSION:
            message = f"unsupported configuration version {quote(version)}; this reconciler reads {SUPPORTED_VERSION}"
            if isinstance(version, str):
                message = f"must be the number {SUPPORTED_VERSION}, not the string {quote(version)}"
            self.report(source, [Finding(("version",), message)])
            return False
        return True

    def _add_provider(self, name: str, declared: _Declared) -> None:
        first = self.providers.get(name)
        if first is None:
            self.providers[name] = declared
            return
        message = f"provider {quote(name)} is already defined at {first.source.where(first.path)}"
        self.report(declared.source, [Finding(declared.path, message, at_key=True)])

    def check_providers(self) -> None:
        for declared in self.providers.values():
            if isinstance(declared.data, dict):
                self.report(declared.source, provider_findings(declared.path, declared.data))

    def check_buckets(self) -> None:
        addresses: dict[tuple[str, str], _Declared] = {}
        for declared in self.buckets:
            data = declared.data
            if not isinstance(data, dict) or not isinstance(data.get("provider"), str):
                continue
            if isinstance(data.get("bucket"), str):
                address = (data["provider"], data["bucket"])
                first = addresses.setdefault(address, declared)
                if first is not declared:
                    message = f"bucket {'/'.join(address)} is already declared at {first.source.where(first.path)}"
                    self.report(declared.source, [Finding(declared.path, message)])
            provider = self._provider_of(declared)
            if provider is not None and _dialect_known(provider.data):
                self._check_rules(declared, provider.data)

    def check_ownership(self) -> None:
        """`adopt:` names declared rules; a released bucket declares none; a released address is declared nowhere."""
        declared_rules: dict[str, _Declared] = {}
        declared_buckets: dict[str, _Declared] = {}
        for declared in self.buckets:
            data = declared.data
            if not isinstance(data, dict) or not isinstance(data.get("provider"), str):
                continue
            address = f"{data['provider']}/{data.get('bucket')}"
            rules = data.get("notifications") if isinstance(data.get("notifications"), list) else []
            ids = [rule.get("id") for rule in rules if isinstance(rule, dict)]
            if ids:
                declared_buckets[address] = declared
            for index, rule_id in enumerate(ids):
                if isinstance(rule_id, str):
                    where = declared.path + ("notifications", index)
                    declared_rules.setdefault(f"{address}/{rule_id}", _Declared(declared.source, where, rule_id))
            adopt = data.get("adopt")
            for index, rule_id in enumerate(adopt) if isinstance(adopt, list) else ():
                if isinstance(rule_id, str) and rule_id not in ids:
                    message = f"adopt names {quote(rule_id)}, which this bucket does not declare; "
                    message += "declare the rule to adopt"
                    hint = near_miss(rule_id, [i for i in ids if isinstance(i, str)])
                    self.report(declared.source, [Finding(declared.path + ("adopt", index), message, hint)])
            if data.get("ownership") == "release" and ids:
                message = (
                    "a bucket with ownership: release declares no rules (its owned rules are forgotten and kept live); "
                    "remove its notifications, or choose another ownership"
                )
                self.report(declared.source, [Finding(declared.path + ("notifications",), message)])
        for item in self.released:
            address = item.data
            clash = declared_rules.get(address) or declared_buckets.get(address)
            if clash is not None:
                what = "rule" if clash.path[-2:-1] == ("notifications",) else "bucket (with rules)"
                message = (
                    f"{address} is released but declared as a {what} at {clash.source.where(clash.path)}; "
                    "release it or declare it, not both"
                )
                self.report(item.source, [Finding(item.path, message)])

    def _provider_of(self, declared: _Declared) -> _Declared | None:
        name = declared.data["provider"]
        provider = self.providers.get(name)
        if provider is None and self.complete:
            hint = near_miss(name, self.providers)
            message = f"provider {quote(name)} is not defined"
            if hint is None and self.providers:
                message += f" (defined: {', '.join(sorted(self.providers))})"
            elif hint is None:
                message += " (no providers are defined)"
            self.report(declared.source, [Finding(declared.path + ("provider",), message, hint)])
        return provider

    def _check_rules(self, declared: _Declared, provider: dict[str, Any]) -> None:
        rules = declared.data.get("notifications")
        if not isinstance(rules, list):
            return
        entries = []
        for index, rule in enumerate(rules):
            path = declared.path + ("notifications", index)
            findings = rule_findings(provider["type"], rule, path, declared.source.data)
            self.report(declared.source, findings)
            entries.append(RuleEntry(path, rule, tuple(finding.path for finding in findings)))
        bucket = declared.data.get("bucket")
        self.report(declared.source, bucket_findings(provider, entries, bucket if isinstance(bucket, str) else None))

    # --- models -------------------------------------------------------------------------------

    def build(self) -> Configuration | None:
        """The models; None (with diagnostics) if the models disagree with what validation passed."""
        providers = {
            name: self._model(
                declared.source,
                declared.path,
                KINDS[declared.data["type"]].provider_model,
                _provider_data(name, declared),
            )
            for name, declared in self.providers.items()
        }
        buckets = [self._bucket(declared, providers[declared.data["provider"]]) for declared in self.buckets]
        if self.diagnostics:
            return None
        self._check_aliases(providers, buckets)
        if self.diagnostics:
            return None
        released = tuple(dict.fromkeys(item.data for item in self.released))
        return Configuration(version=SUPPORTED_VERSION, providers=providers, buckets=tuple(buckets), released=released)

    def _bucket(self, declared: _Declared, provider: Any) -> BucketConfig | None:
        if provider is None:
            return None
        source, path = declared.source, declared.path
        rule_model = KINDS[provider.type].rule_model
        rules = [
            self._model(source, path + ("notifications", index), rule_model, _rule_data(rule, source))
            for index, rule in enumerate(declared.data.get("notifications", []))
        ]
        if any(rule is None for rule in rules):
            return None
        fields = {**declared.data, "notifications": tuple(rules), "source": source.location(path)}
        return self._model(source, path, BucketConfig, fields)

    def _check_aliases(self, providers: dict[str, Any], buckets: list[BucketConfig]) -> None:
        """Two entries that reach the same physical bucket would each take the other's rules for
        foreign ones (DESIGN §2): an error naming both."""
        from reconciler.providers.identity import physical_location  # keeps httpx out of what planning imports
        from reconciler.state.model import store_of

        first: dict[tuple[str, str, str], tuple[_Declared, BucketConfig]] = {}
        stores = {name: physical_location(provider, "") for name, provider in providers.items()}  # once each
        for declared, entry in zip(self.buckets, buckets, strict=True):
            store = stores[entry.provider]
            if store is None:
                continue
            location = (store[0], store[1], entry.bucket)
            earlier = first.setdefault((store[0], store_of(store[1]), entry.bucket), (declared, entry))
            if earlier[1] is entry:
                continue
            other, other_entry = earlier
            message = (
                f"bucket {entry.address} is the same bucket as {other_entry.address} declared at "
                f"{other.source.where(other.path)} ({location[0]} at {location[1]}, bucket {entry.bucket!r}): "
                f"providers {other_entry.provider!r} and {entry.provider!r} reach the same store, so each would "
                "take the other's rules for foreign ones; declare the bucket once"
            )
            self.report(declared.source, [Finding(declared.path, message)])

    def _model(self, source: SourceFile, path: Path, model: Any, data: dict[str, Any]) -> Any:
        try:
            return model.model_validate(data)
        except ValidationError as error:  # validation passed what the model refuses: say where, plainly
            self.report(source, [Finding(path + tuple(e["loc"]), e["msg"]) for e in error.errors()])
            return None


def _dialect_known(provider: Any) -> bool:
    """Enough of the provider is right to check rules against its dialect, whatever else is wrong."""
    if not isinstance(provider, dict) or not isinstance(provider.get("type"), str) or provider["type"] not in KINDS:
        return False
    flavors = KINDS[provider["type"]].flavors
    return not flavors or provider.get("flavor", flavors[0]) in flavors


def _provider_data(name: str, declared: _Declared) -> dict[str, Any]:
    data = {**declared.data, "name": name}
    credentials = data.get("credentials")
    if isinstance(credentials, dict):
        data["credentials"] = {key: _anchored(ref, declared.source) for key, ref in credentials.items()}
    return data


def _rule_data(rule: dict[str, Any], source: SourceFile) -> dict[str, Any]:
    encryption = rule.get("encryption")
    if isinstance(encryption, dict) and "key" in encryption:
        return {**rule, "encryption": {**encryption, "key": _anchored(encryption["key"], source)}}
    return rule


def _anchored(ref: Any, source: SourceFile) -> Any:
    """A relative `{file: PATH}` is relative to the configuration file that names it."""
    if isinstance(ref, dict) and isinstance(ref.get("file"), str):
        path = ref["file"]
        if not os.path.isabs(path) and not path.startswith("~"):
            return {"file": os.path.abspath(os.path.join(os.path.dirname(source.name), path))}
    return ref

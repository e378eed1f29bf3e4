"""From files to a validated `Configuration`, or a ConfigError carrying every problem found.

Order of work: read and parse each file; check each file against the schema (rules aside);
merge all files (provider and rule set names, and (provider, bucket) pairs unique across them);
check each bucket entry and expand it per bucket (config/expansion.py), checking each bucket's
rules against its provider's dialect and the provider rules; resolve selectors when asked and
all else is valid; build the models.
Cross-file checks that need every file (is a provider defined?) run only when every file
could be read, so one broken file does not cause a cascade of false errors in the others.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from pydantic import ValidationError

from reconciler.config.diagnostics import Diagnostic, Finding, Path, near_miss, quote
from reconciler.config.entries import ExpandedBucket, ExpandedRule
from reconciler.config.expansion import Declared, Entry, EntryExpansion, Resolve, SelectorRequest
from reconciler.config.rules import provider_findings
from reconciler.config.schema import describe, document_findings
from reconciler.config.source import SourceFile, discover, read_source
from reconciler.errors import ConfigError
from reconciler.kinds import KINDS
from reconciler.model.config import BucketConfig, Configuration, Selection
from reconciler.words import validation_problem

__all__ = ["Resolve", "SelectorRequest", "expand_configuration", "load_configuration"]

SUPPORTED_VERSION = 1
_RULE_KEY = json.JSONEncoder(sort_keys=True)  # json.dumps(..., sort_keys=True) without a new encoder per rule


def load_configuration(paths: Sequence[str] | None, resolve: Resolve | None = None) -> Configuration:
    """Load, validate, expand and merge the configuration named by `-c` (default ./notifications).

    `resolve` turns bucket selectors into bucket names (a listing of each provider's buckets, or a
    saved plan's lists); it is called once, only when everything else is valid. Without it the
    configuration is read offline: selectors are checked, and their entries stand for no bucket.
    """
    return expand_configuration(paths, resolve)[0]


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """No cyclic garbage collection while a configuration is read: it only builds objects that
    live on, and each collection would walk all of them again (quadratic: 6 s instead of 0.7 s to
    parse a 10 MB file). Reference counting still frees everything that is dropped."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def expand_configuration(
    paths: Sequence[str] | None, resolve: Resolve | None = None
) -> tuple[Configuration, list[ExpandedBucket]]:
    """The configuration and, per bucket, the rules as expanded (plain data, for show-config)."""
    with collection_paused():
        return _expand(paths, resolve)


def _expand(paths: Sequence[str] | None, resolve: Resolve | None) -> tuple[Configuration, list[ExpandedBucket]]:
    names, problems = discover(paths)
    loader = _Loader(problems)
    for name in names:
        loader.read(name)
    loader.check_providers()
    loader.check_rule_sets()
    loader.check_buckets()
    loader.check_unexpanded_rule_sets()
    loader.check_ownership()
    if not loader.diagnostics and resolve is not None and loader.requests:
        loader.resolve(resolve)
    loader.check_released()  # after the selectors are resolved: their buckets are declared too
    configuration = loader.build() if not loader.diagnostics else None
    if configuration is None:
        raise ConfigError(sorted(loader.diagnostics, key=lambda diagnostic: diagnostic.sort_key))
    return configuration, loader.expanded


class _Loader(EntryExpansion):
    def __init__(self, problems: list[Diagnostic]) -> None:
        self.diagnostics = list(problems)
        self.complete = not problems  # every named file was read
        self.providers: dict[str, Declared] = {}
        self.rule_sets: dict[str, Declared] = {}
        self.buckets: list[Declared] = []
        self.released: list[Declared] = []  # each item of a top-level `released:` list
        self.entries: list[Entry] = []
        self.requests: list[SelectorRequest] = []
        self.resolved: dict[str, tuple[str, ...]] = {}
        self.expanded: list[ExpandedBucket] = []
        self._addresses: dict[tuple[str, str], tuple[Declared, Path]] = {}
        self._provider_models: dict[str, Any] = {}
        self._rule_models: dict[Any, Any] = {}

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
            self._add(self.providers, "provider", provider_name, Declared(source, ("providers", provider_name), data))
        rule_sets = source.data.get("rule_sets")
        for set_name, data in rule_sets.items() if isinstance(rule_sets, dict) else ():
            self._add(self.rule_sets, "rule set", set_name, Declared(source, ("rule_sets", set_name), data))
        buckets = source.data.get("buckets")
        for index, data in enumerate(buckets) if isinstance(buckets, list) else ():
            self.buckets.append(Declared(source, ("buckets", index), data))
        released = source.data.get("released")
        for index, data in enumerate(released) if isinstance(released, list) else ():
            if isinstance(data, str):
                self.released.append(Declared(source, ("released", index), data))

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

    def _add(self, table: dict[str, Declared], kind: str, name: str, declared: Declared) -> None:
        """Record a named provider or rule set; a second definition of the name is a finding."""
        first = table.get(name)
        if first is None:
            table[name] = declared
            return
        message = f"{kind} {quote(name)} is already defined at {first.source.where(first.path)}"
        self.report(declared.source, [Finding(declared.path, message, at_key=True)])

    def check_providers(self) -> None:
        for declared in self.providers.values():
            if isinstance(declared.data, dict):
                self.report(declared.source, provider_findings(declared.path, declared.data))

    def check_ownership(self) -> None:
        """`adopt:` names rules the entry declares (for every bucket it expands to, rule sets'
        included); an entry with ownership: release declares no rules (its own or a rule set's)."""
        for entry in self.entries:
            declared, data = entry.declared, entry.declared.data
            written = data.get("adopt") if isinstance(data.get("adopt"), list) else []
            adopt = [(index, rule_id) for index, rule_id in enumerate(written) if isinstance(rule_id, str)]
            if adopt:
                self._check_adopt(entry, adopt)
            if data.get("ownership") != "release":
                continue
            rules = data.get("notifications") if isinstance(data.get("notifications"), list) else []
            if any(isinstance(rule, dict) for rule in rules):
                message = (
                    "a bucket with ownership: release declares no rules (its owned rules are forgotten and kept live); "
                    "remove its notifications, or choose another ownership"
                )
                self.report(declared.source, [Finding(declared.path + ("notifications",), message)])
            if entry.rule_sets:
                message = (
                    "a bucket with ownership: release declares no rules (its owned rules are forgotten and kept live); "
                    "remove its rule sets from use, or choose another ownership"
                )
                self.report(declared.source, [Finding(declared.path + ("use",), message)])

    def _check_adopt(self, entry: Entry, adopt: list[tuple[int, str]]) -> None:
        declared = entry.declared
        if entry.rules:
            per_bucket = [(name, [rule.data.get("id") for rule in rules if isinstance(rule.data, dict)])
                          for name, rules in entry.rules]  # fmt: skip
        else:  # offline selector, or an entry of no bucket: the rules as written
            own = declared.data.get("notifications") if isinstance(declared.data.get("notifications"), list) else []
            written = [rule for rule_set in entry.rule_sets for rule in rule_set.rules] + list(own)
            per_bucket = [(None, [rule.get("id") for rule in written if isinstance(rule, dict)])]
            if any(isinstance(i, str) and "${" in i for i in per_bucket[0][1]):
                return  # ids that name their bucket are known once the selector is resolved
        for index, rule_id in adopt:
            missing = [name for name, ids in per_bucket if rule_id not in ids]
            if not missing:
                continue
            ids = dict.fromkeys(i for _, ids in per_bucket for i in ids if isinstance(i, str))
            message = f"adopt names {quote(rule_id)}, which this bucket does not declare; declare the rule to adopt"
            if not entry.plain and any(name is not None for name in missing):
                addresses = [f"{entry.provider}/{name}" for name in missing if name is not None]
                shown = ", ".join(addresses[:3]) + (f" and {len(addresses) - 3} more" if len(addresses) > 3 else "")
                message = (
                    f"adopt names {quote(rule_id)}, which the entry does not declare for bucket(s) {shown}; "
                    "declare the rule to adopt (in the entry or a rule set it uses)"
                )
            hint = near_miss(rule_id, list(ids))
            self.report(declared.source, [Finding(declared.path + ("adopt", index), message, hint)])

    def check_released(self) -> None:
        """A released address (`p/b` or `p/b/rule`) is declared nowhere, by any entry as expanded."""
        if not self.released:
            return
        declared_rules: dict[str, str] = {}  # address -> where it was written
        declared_buckets: dict[str, str] = {}
        for entry in self.entries:
            for name, rules in entry.rules:
                address = f"{entry.provider}/{name}"
                if rules:
                    declared_buckets.setdefault(address, entry.where)
                for rule in rules:
                    rule_id = rule.data.get("id") if isinstance(rule.data, dict) else None
                    if isinstance(rule_id, str):
                        where = rule.origin.source.where(rule.origin.path)
                        if not entry.plain:
                            where += f" (expanded for bucket {address} by the entry at {entry.where})"
                        declared_rules.setdefault(f"{address}/{rule_id}", where)
        for item in self.released:
            address = item.data
            if address in declared_rules:
                what, where = "rule", declared_rules[address]
            elif address in declared_buckets:
                what, where = "bucket (with rules)", declared_buckets[address]
            else:
                continue
            message = f"{address} is released but declared as a {what} at {where}; release it or declare it, not both"
            self.report(item.source, [Finding(item.path, message)])

    def _provider_of(self, declared: Declared) -> Declared | None:
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

    # --- models -------------------------------------------------------------------------------

    def build(self) -> Configuration | None:
        """The models; None (with diagnostics) if the models disagree with what validation passed."""
        providers = {name: self._provider_model(name) for name in self.providers}
        buckets: list[BucketConfig | None] = []
        for entry in self.entries:
            provider = providers.get(entry.provider)
            for name, rules in entry.rules:
                buckets.append(self._bucket(entry, name, rules, provider))
        if self.diagnostics:
            return None
        self._check_aliases(providers)
        if self.diagnostics:
            return None
        selections = tuple(
            Selection(
                provider=request.provider,
                entry=request.entry,
                selector=request.selector.to_json(),
                buckets=self.resolved.get(request.key, ()),
            )
            for request in self.requests
        )
        released = tuple(dict.fromkeys(item.data for item in self.released))
        return Configuration(
            version=SUPPORTED_VERSION,
            providers=providers,
            buckets=tuple(buckets),
            selections=selections,
            released=released,
        )

    def _provider_model(self, name: str) -> Any:
        declared = self.providers[name]
        if name not in self._provider_models:
            model, data = KINDS[declared.data["type"]].provider_model, _provider_data(name, declared)
            self._provider_models[name] = self._model(declared.source, declared.path, model, data)
        return self._provider_models[name]

    def _bucket(self, entry: Entry, name: str, rules: list[ExpandedRule], provider: Any) -> BucketConfig | None:
        if provider is None:
            return None
        rule_model = KINDS[provider.type].rule_model
        models = [self._rule_model(rule_model, rule) for rule in rules]
        if any(model is None for model in models):
            return None
        declared = entry.declared
        fields = {
            "provider": entry.provider,
            "bucket": name,
            "notifications": tuple(models),
            "source": entry.location,
        }
        for key in ("ownership", "adopt"):
            if key in declared.data:
                fields[key] = declared.data[key]
        return self._model(declared.source, declared.path, BucketConfig, fields)

    def _rule_model(self, rule_model: Any, rule: ExpandedRule) -> Any:
        """One model per distinct rule: ten thousand buckets with the same rule share it."""
        key = (rule_model, _RULE_KEY.encode(rule.data), id(rule.origin.source))
        if key not in self._rule_models:
            data = _rule_data(rule.data, rule.origin.source)
            self._rule_models[key] = self._model(rule.origin.source, rule.origin.path, rule_model, data)
        return self._rule_models[key]

    def _check_aliases(self, providers: dict[str, Any]) -> None:
        """Two entries that reach the same physical bucket would each take the other's rules for
        foreign ones (DESIGN §2): an error naming both. Every bucket an entry expands to counts
        (its list, its resolved selector)."""
        from reconciler.config.endpoints import physical_location  # httpx only when the check runs
        from reconciler.model.identity import store_of

        first: dict[tuple[str, str, str], tuple[Declared, Path, str]] = {}
        stores = {name: physical_location(provider, "") for name, provider in providers.items()}  # once each
        for entry in self.entries:
            store = stores.get(entry.provider)
            if store is None:
                continue
            declared = entry.declared
            for index, (name, _) in enumerate(entry.rules):
                naming = _naming(declared, index)
                location = (store[0], store[1], name)
                address = f"{entry.provider}/{name}"
                earlier = first.setdefault((store[0], store_of(store[1]), name), (declared, naming, address))
                if earlier[2] == address:
                    continue
                other, other_naming, other_address = earlier
                message = (
                    f"bucket {address} is the same bucket as {other_address} declared at "
                    f"{other.source.where(other_naming)} ({location[0]} at {location[1]}, bucket {name!r}): "
                    f"providers {other_address.split('/', 1)[0]!r} and {entry.provider!r} reach the same store, "
                    "so each would take the other's rules for foreign ones; declare the bucket once"
                )
                self.report(declared.source, [Finding(naming, message)])

    def _model(self, source: SourceFile, path: Path, model: Any, data: dict[str, Any]) -> Any:
        try:
            return model.model_validate(data)
        except ValidationError as error:  # validation passed what the model refuses: say where, plainly
            self.report(source, [Finding(path + _fields(e["loc"]), validation_problem(e)) for e in error.errors()])
            return None


def _naming(declared: Declared, index: int) -> Path:
    """Where an entry names its `index`th bucket: the entry itself for a plain `bucket:`."""
    if "buckets" in declared.data:
        return declared.path + ("buckets", index)
    if "select" in declared.data:
        return declared.path + ("select",)
    return declared.path


def _fields(location: tuple[Any, ...]) -> tuple[Any, ...]:
    """A pydantic location without its union-member names (`tuple[S3Rule, ...]`): fields of the file only."""
    return tuple(p for p in location if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))


def _provider_data(name: str, declared: Declared) -> dict[str, Any]:
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

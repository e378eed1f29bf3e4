"""Bucket entries and rule sets, checked and expanded into one bucket configuration per bucket.

The loader (config/loader.py) reads files, providers and models; this part of it reads what
the configuration language adds for many buckets: `rule_sets`, an entry's `use`, `vars`,
`overrides`, `buckets` and `select`. Each entry is checked once; each of its buckets is then
checked as expanded (entries.py says how), problems placed where they were written and said
for the buckets they were found for. Selectors are resolved by a callback (`Resolve`), once,
only when everything else is valid.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.config.diagnostics import Diagnostic, Finding, Path, near_miss, quote
from reconciler.config.entries import (
    EXPANDED,
    ExpandedBucket,
    ExpandedRule,
    Place,
    RuleSet,
    bucket_variables,
    expand_rules,
    place,
    with_buckets,
)
from reconciler.config.rules import RuleEntry, bucket_findings
from reconciler.config.schema import rule_findings
from reconciler.config.selectors import Selector, parse_selector, selector_findings
from reconciler.config.source import SourceFile
from reconciler.config.variables import BUILTIN, template_findings, uses
from reconciler.kinds import KINDS
from reconciler.model.config import ProviderConfig, SourceLocation, selection_key

Resolve = Callable[[Mapping[str, ProviderConfig], Sequence["SelectorRequest"]], Mapping[str, Sequence[str]]]


@dataclass(frozen=True)
class SelectorRequest:
    """A selector the configuration needs resolved: `resolve` answers with bucket names per `key`."""

    key: str
    provider: str
    selector: Selector
    entry: str  # file:line:column of the bucket entry


@dataclass(frozen=True)
class Declared:
    """A provider or bucket entry and where it was written."""

    source: SourceFile
    path: Path
    data: Any


@dataclass
class Entry:
    """A bucket entry whose provider, rule sets and overrides are known to be usable."""

    declared: Declared
    provider: str
    dialect: str
    names: list[str]
    selector: Selector | None
    rule_sets: list[RuleSet]
    given: dict[str, str]  # its vars
    overrides: dict[str, dict[str, tuple[Any, Place]]]
    rules: list[tuple[str, list[ExpandedRule]]] = field(default_factory=list)  # per bucket, as expanded

    @property
    def plain(self) -> bool:
        """One bucket, its own rules only: problems are said as they always were."""
        return "bucket" in self.declared.data and not self.rule_sets

    @functools.cached_property
    def where(self) -> str:
        return self.declared.source.where(self.declared.path)

    @functools.cached_property
    def location(self) -> SourceLocation:
        return self.declared.source.location(self.declared.path)

    @property
    def written_at(self) -> str:
        """file:line of the entry (only the file for JSON, where finding the line means parsing again)."""
        location = self.location
        return location.file if location.line is None else f"{location.file}:{location.line}"

    @property
    def key(self) -> str:
        assert self.selector is not None
        return selection_key(self.provider, self.selector.to_json())


class EntryExpansion:
    """The rule-set and bucket-entry checks of the loader, and the expansion of each entry."""

    diagnostics: list[Diagnostic]
    complete: bool  # every named file was read
    providers: dict[str, Declared]
    rule_sets: dict[str, Declared]
    buckets: list[Declared]
    entries: list[Entry]
    requests: list[SelectorRequest]
    resolved: dict[str, tuple[str, ...]]
    expanded: list[ExpandedBucket]
    _addresses: dict[tuple[str, str], tuple[Declared, Path]]

    def report(self, source: SourceFile, findings: Iterable[Finding]) -> None:
        raise NotImplementedError

    def _provider_of(self, declared: Declared) -> Declared | None:
        raise NotImplementedError

    def _provider_model(self, name: str) -> Any:
        raise NotImplementedError

    def check_rule_sets(self) -> None:
        """Each rule set's variables (its rules are checked as expanded for the buckets using it)."""
        for name, declared in self.rule_sets.items():
            rule_set = self._rule_set(name)
            if rule_set is not None:
                known = {*BUILTIN, *rule_set.defaults}
                rules = list(rule_set.rules)
                self.report(declared.source, template_findings(rules, declared.path + ("notifications",), known))

    def check_unexpanded_rule_sets(self) -> None:
        """The rules of rule sets no entry could expand, checked as written (defaults substituted)."""
        expanded = {rule_set.name for entry in self.entries for rule_set in entry.rule_sets}
        for name in self.rule_sets:
            rule_set = self._rule_set(name)
            if rule_set is not None and name not in expanded:
                self._check_expanded(self._unused_rule_set(rule_set), rule_set.dialect, None, None, None)

    def _rule_set(self, name: str) -> RuleSet | None:
        declared = self.rule_sets[name]
        data = declared.data
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("dialect"), str)  # a list or a mapping here is not hashable
            or data["dialect"] not in KINDS
            or not isinstance(data.get("notifications"), list)
        ):
            return None
        written = data.get("vars") if isinstance(data.get("vars"), dict) else {}
        defaults = {name: value for name, value in written.items() if value is None or isinstance(value, str)}
        return RuleSet(name, declared.source, declared.path, data["dialect"], tuple(data["notifications"]), defaults)

    def _unused_rule_set(self, rule_set: RuleSet) -> list[ExpandedRule]:
        variables = {name: value for name, value in rule_set.defaults.items() if value is not None}
        return expand_rules([rule_set], [], Place(rule_set.source, ()), {}, variables)

    def check_buckets(self) -> None:
        for declared in self.buckets:
            data = declared.data
            if not isinstance(data, dict) or not isinstance(data.get("provider"), str):
                continue
            provider = self._provider_of(declared)
            entry = self._entry(declared, provider)
            if entry is None:
                continue
            self.entries.append(entry)
            if entry.selector is not None:
                request = SelectorRequest(entry.key, entry.provider, entry.selector, entry.where)
                self.requests.append(request)
                self._expand(entry, ["${bucket}"], stand_in=True)
            else:
                self._expand(entry, entry.names)

    def resolve(self, resolve: Resolve) -> None:
        providers = {name: self._provider_model(name) for name in {request.provider for request in self.requests}}
        if any(provider is None for provider in providers.values()):
            return
        answered = resolve(providers, self.requests)  # type: ignore[arg-type]
        self.resolved = {request.key: tuple(answered.get(request.key, ())) for request in self.requests}
        for entry in self.entries:
            if entry.selector is not None:
                self._expand(entry, list(self.resolved[entry.key]))

    def _entry(self, declared: Declared, provider: Declared | None) -> Entry | None:
        data, source, path = declared.data, declared.source, declared.path
        naming = [key for key in ("bucket", "buckets", "select") if key in data]
        if len(naming) != 1:
            message = "a bucket entry names its buckets with exactly one of bucket, buckets or select" + (
                f"; it has {', '.join(naming)}" if naming else ""
            )
            self.report(source, [Finding(path, message)])
            return None
        names: list[str] = []
        selector = None
        if isinstance(data.get("bucket"), str):
            names = [data["bucket"]]
        elif isinstance(data.get("buckets"), list):
            names = [name for name in data["buckets"] if isinstance(name, str)]
            seen: dict[str, int] = {}
            for index, name in enumerate(names):
                if name in seen:
                    message = f"bucket {quote(name)} is listed twice in this entry"
                    self.report(
                        source, [Finding(path + ("buckets", index), message, see=path + ("buckets", seen[name]))]
                    )
                seen.setdefault(name, index)
        elif isinstance(data.get("select"), dict):
            findings = list(selector_findings(path + ("select",), data["select"]))
            self.report(source, findings)
            if not findings:
                selector = parse_selector(data["select"])
        if provider is None or not dialect_known(provider.data):
            return None
        dialect = provider.data["type"]
        rule_sets = self._uses(declared, dialect)
        if rule_sets is None:
            return None
        given = _strings(data.get("vars"))
        declared_vars = {name for rule_set in rule_sets for name in rule_set.defaults}
        for rule_set in rule_sets:
            for name, default in rule_set.defaults.items():
                if default is None and name not in given:
                    message = (
                        f"rule set {quote(rule_set.name)} needs a value for variable {quote(name)}: "
                        f"add it under vars (declared at {rule_set.source.where(rule_set.path + ('vars', name))})"
                    )
                    self.report(source, [Finding(path, message)])
        own = data.get("notifications") if isinstance(data.get("notifications"), list) else []
        used_by_own = uses(own)
        for name in given:
            if name not in declared_vars and name not in used_by_own:  # a misspelt name would go unnoticed
                message = f"variable {quote(name)} is used by no rule of this entry"
                if declared_vars:
                    message += f" (its rule sets declare: {', '.join(sorted(declared_vars))})"
                hint = near_miss(name, declared_vars)
                self.report(source, [Finding(path + ("vars", name), message, hint, at_key=True)])
        known = {*BUILTIN, *declared_vars, *given}
        if _templated(data):
            self.report(source, template_findings(own, path + ("notifications",), known))
        overrides = self._overrides(declared, rule_sets, known)
        if overrides is None:
            return None
        return Entry(declared, data["provider"], dialect, names, selector, rule_sets, given, overrides)

    def _uses(self, declared: Declared, dialect: str) -> list[RuleSet] | None:
        names = declared.data.get("use")
        if not isinstance(names, list):
            return []
        found: list[RuleSet] = []
        ok = True
        for index, name in enumerate(names):
            if not isinstance(name, str):
                continue
            where = declared.path + ("use", index)
            if name not in self.rule_sets:
                if self.complete:
                    message = f"rule set {quote(name)} is not defined"
                    hint = near_miss(name, self.rule_sets)
                    if hint is None:
                        defined = ", ".join(sorted(self.rule_sets))
                        message += f" (defined: {defined})" if defined else " (no rule sets are defined)"
                    self.report(declared.source, [Finding(where, message, hint)])
                ok = False
                continue
            rule_set = self._rule_set(name)
            if rule_set is None:
                ok = False
                continue
            if rule_set.dialect != dialect:
                provider = declared.data["provider"]
                message = (
                    f"rule set {quote(name)} holds {rule_set.dialect} rules, but provider {quote(provider)} is "
                    f"{dialect} (rule set defined at {rule_set.source.where(rule_set.path)})"
                )
                self.report(declared.source, [Finding(where, message)])
                ok = False
                continue
            if any(other.name == name for other in found):
                self.report(declared.source, [Finding(where, f"rule set {quote(name)} is used twice")])
                continue
            found.append(rule_set)
        return found if ok else None

    def _overrides(
        self, declared: Declared, rule_sets: list[RuleSet], known: set[str]
    ) -> dict[str, dict[str, tuple[Any, Place]]] | None:
        written = declared.data.get("overrides")
        if not isinstance(written, dict):
            return {}
        rules = {
            rule["id"]: rule
            for rule_set in rule_sets
            for rule in rule_set.rules
            if isinstance(rule, dict) and isinstance(rule.get("id"), str)
        }
        found: dict[str, dict[str, tuple[Any, Place]]] = {}
        ok = True
        source, path = declared.source, declared.path + ("overrides",)
        for rule_id, fields in written.items():
            if not isinstance(fields, dict):
                continue
            if rule_id not in rules:
                message = f"no rule {quote(rule_id)} comes from the rule sets this entry uses"
                hint = near_miss(rule_id, rules)
                if hint is None:
                    message += f" (their rules: {', '.join(sorted(rules))})" if rules else " (it uses no rule set)"
                self.report(source, [Finding(path + (rule_id,), message, hint, at_key=True)])
                ok = False
                continue
            for name, value in fields.items():
                where = path + (rule_id, name)
                current = rules[rule_id].get(name)
                if name == "id":
                    self.report(source, [Finding(where, "the id of a rule cannot be overridden", at_key=True)])
                    ok = False
                elif isinstance(current, (dict, list)):
                    kind = "a list" if isinstance(current, list) else "a mapping"
                    message = f"only scalar fields can be overridden; {quote(name)} is {kind} in rule {quote(rule_id)}"
                    self.report(source, [Finding(where, message, at_key=True)])
                    ok = False
                elif isinstance(value, (str, int, float, bool)):  # anything else is the schema's to report
                    self.report(source, template_findings(value, where, known))
                    found.setdefault(rule_id, {})[name] = (value, Place(source, where))
        return found if ok else None

    def _expand(self, entry: Entry, names: Sequence[str], *, stand_in: bool = False) -> None:
        """Check each bucket of the entry as expanded; record it (not for the offline stand-in)."""
        declared = entry.declared
        data, source = declared.data, declared.source
        own = data.get("notifications") if isinstance(data.get("notifications"), list) else []
        found: dict[Diagnostic, list[str]] = {}
        for index, name in enumerate(names):
            if not stand_in:
                self._claim(entry, name, index)
            variables = bucket_variables(entry.rule_sets, entry.given, provider=entry.provider, bucket=name)
            own_place = Place(source, declared.path + ("notifications",))
            rules = expand_rules(
                entry.rule_sets, own, own_place, entry.overrides, variables, substitute_own=_templated(data)
            )
            for diagnostic in self._check_expanded(
                rules, entry.dialect, self.providers[entry.provider].data, name, found
            ):
                found.setdefault(diagnostic, []).append(f"{entry.provider}/{name}")
            if not stand_in:
                self.expanded.append(
                    ExpandedBucket(
                        entry.provider,
                        name,
                        data.get("ownership", "shared"),
                        tuple(rule.data for rule in rules),
                        entry.written_at,
                        entry.selector is not None,
                        _adopt(data),
                    )
                )
                entry.rules.append((name, rules))
        for diagnostic, addresses in found.items():
            if entry.plain:
                self.diagnostics.append(diagnostic)
            else:
                self.diagnostics.append(with_buckets(diagnostic, addresses, entry.where, selector=stand_in))

    def _claim(self, entry: Entry, name: str, index: int) -> None:
        """A bucket belongs to one entry: a second one is an error naming both."""
        declared = entry.declared
        naming = (
            ("bucket",)
            if "bucket" in declared.data
            else ("buckets", index)
            if "buckets" in declared.data
            else ("select",)
        )
        first = self._addresses.setdefault((entry.provider, name), (declared, naming))
        if first[0] is declared:
            return
        other, other_naming = first
        address = f"{entry.provider}/{name}"
        if entry.plain and "bucket" in other.data:
            message = f"bucket {address} is already declared at {other.source.where(other.path)}"
        else:
            message = (
                f"bucket {address} is matched by two entries: this one and the one at "
                f"{other.source.where(other.path + other_naming)}; a bucket belongs to one entry"
            )
        self.report(declared.source, [Finding(declared.path + naming if not entry.plain else declared.path, message)])

    def _check_expanded(
        self,
        rules: list[ExpandedRule],
        dialect: str,
        provider: Any,
        bucket: str | None,
        found: dict[Diagnostic, list[str]] | None,
    ) -> list[Diagnostic]:
        """Schema and provider rules over one bucket's expanded rules, placed where each was written."""
        findings: list[Finding] = []
        checked = []
        for index, rule in enumerate(rules):
            vpath = (EXPANDED, index)
            problems = rule_findings(dialect, rule.data, vpath, {})
            findings += problems
            checked.append(RuleEntry(vpath, rule.data, tuple(problem.path for problem in problems)))
        if provider is not None:
            findings += bucket_findings(provider, checked, bucket)
        diagnostics = []
        for finding in findings:
            source, placed = place(finding, rules)
            diagnostics.append(source.diagnostic(placed))
        if found is None:
            self.diagnostics += [d for d in dict.fromkeys(diagnostics) if d not in self.diagnostics]
            return []
        return list(dict.fromkeys(diagnostics))


def _adopt(entry: dict[str, Any]) -> tuple[str, ...]:
    """The entry's `adopt:` ids (the schema reports anything else)."""
    adopt = entry.get("adopt")
    return tuple(i for i in adopt if isinstance(i, str)) if isinstance(adopt, list) else ()


def _strings(mapping: Any) -> dict[str, str]:
    """The entries of a `vars:` mapping that are text (the schema reports the others)."""
    return {k: v for k, v in mapping.items() if isinstance(v, str)} if isinstance(mapping, dict) else {}


def _templated(entry: dict[str, Any]) -> bool:
    """Are `${…}` substituted in the entry's own rules? Not in a plain one-bucket entry that uses no
    rule set and declares no vars: such entries mean exactly what they say, as before rule sets."""
    return any(key in entry for key in ("buckets", "select", "use", "vars"))


def dialect_known(provider: Any) -> bool:
    """Enough of the provider is right to check rules against its dialect, whatever else is wrong."""
    if not isinstance(provider, dict) or not isinstance(provider.get("type"), str) or provider["type"] not in KINDS:
        return False
    flavors = KINDS[provider["type"]].flavors
    return not flavors or provider.get("flavor", flavors[0]) in flavors

"""Bucket selectors: which of a provider's buckets an entry means, by name.

A selector is `{include: [PATTERN, ...], exclude: [PATTERN, ...]}`; a bucket is selected when its
whole name matches an include pattern and no exclude pattern. A pattern is a glob (`*`, `?`,
`[abc]`, as fnmatch reads it, case-sensitive) or `{regex: RE2}`: RE2 runs in linear time, so no
pattern can stall a plan over thousands of names. Checking a selector is offline; resolving it
needs the provider's bucket listing, which the commands fetch at plan time.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import re2

from reconciler.config.diagnostics import Finding, Path, quote

__all__ = ["NamePattern", "Selector", "parse_selector", "selector_findings"]


@dataclass(frozen=True)
class NamePattern:
    text: str
    regex: bool = False

    def matches(self, name: str) -> bool:
        if self.regex:
            return _compiled(self.text).fullmatch(name) is not None
        return fnmatch.fnmatchcase(name, self.text)

    def to_json(self) -> str | dict[str, str]:
        return {"regex": self.text} if self.regex else self.text


_COMPILED: dict[str, Any] = {}
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a bad pattern is reported once, as a diagnostic, not also by RE2 on stderr


def _compiled(text: str) -> Any:
    pattern = _COMPILED.get(text)
    if pattern is None:
        pattern = _COMPILED[text] = re2.compile(text, _OPTIONS)
    return pattern


def _reason(error: Exception) -> str:
    reason = error.args[0] if error.args else error
    return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)


@dataclass(frozen=True)
class Selector:
    include: tuple[NamePattern, ...]
    exclude: tuple[NamePattern, ...] = ()

    def matches(self, name: str) -> bool:
        return any(p.matches(name) for p in self.include) and not any(p.matches(name) for p in self.exclude)

    def select(self, names: Iterable[str]) -> tuple[str, ...]:
        """The selected names, sorted and without repeats."""
        return tuple(sorted({name for name in names if self.matches(name)}))

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"include": [p.to_json() for p in self.include]}
        if self.exclude:
            document["exclude"] = [p.to_json() for p in self.exclude]
        return document

    @property
    def key(self) -> str:
        """The selector written one way only (so a saved plan finds it again)."""
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))


def parse_selector(data: Mapping[str, Any]) -> Selector:
    """The selector of a checked `select:` mapping (selector_findings found nothing)."""
    return Selector(_patterns(data.get("include")), _patterns(data.get("exclude")))


def _patterns(items: Any) -> tuple[NamePattern, ...]:
    """The well-formed patterns of a list (the schema reports the others)."""
    patterns = []
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict) and isinstance(item.get("regex"), str):
            patterns.append(NamePattern(item["regex"], regex=True))
        elif isinstance(item, str):
            patterns.append(NamePattern(item))
    return tuple(patterns)


def selector_findings(path: Path, data: Any) -> Iterator[Finding]:
    """What the schema cannot say about a selector: regexes RE2 refuses, globs that cannot match."""
    if not isinstance(data, dict):
        return
    for key in ("include", "exclude"):
        items = data.get(key)
        for index, item in enumerate(items) if isinstance(items, list) else ():
            where = path + (key, index)
            if isinstance(item, dict) and isinstance(item.get("regex"), str) and item["regex"]:
                try:
                    _compiled(item["regex"])
                except re2.error as error:
                    yield Finding(
                        where + ("regex",), f"{quote(item['regex'])} is not an RE2 regular expression: {_reason(error)}"
                    )
            elif isinstance(item, str) and "/" in item:
                yield Finding(where, f"{quote(item)} can never match: bucket names contain no '/'")

"""The one substitution the configuration language has: `${NAME}` in rule values.

Known names are `bucket`, `provider` and the variables a rule set declares (`vars:`), with the
values a bucket entry gives. `$${` writes a literal `${`. Nothing else: no expressions, no
defaults inside the braces, no nesting. Keys are never substituted, only string values.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from typing import Any

from reconciler.config.diagnostics import Finding, Path, near_miss, quote

__all__ = ["BUILTIN", "substitute", "template_findings", "uses"]

BUILTIN = ("bucket", "provider")
_TOKEN = re.compile(r"\$\$\{|\$\{([^{}]*)\}|\$\{")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _problems(text: str, known: Collection[str]) -> Iterator[tuple[str, str | None]]:
    for match in _TOKEN.finditer(text):
        token, name = match.group(0), match.group(1)
        if token == "$${":
            continue
        if name is None:
            yield f"{quote(text)} has a '${{' without its closing '}}' (write '$${{' for a literal '${{')", None
        elif not _NAME.match(name):
            yield f"{quote('${' + name + '}')} is not a variable: write ${{NAME}} with letters, digits and '_'", None
        elif name not in known:
            names = ", ".join(sorted(known))
            yield f"unknown variable {quote('${' + name + '}')} (known here: {names})", near_miss(name, known)


def template_findings(value: Any, path: Path, known: Collection[str]) -> Iterator[Finding]:
    """Every malformed `${…}` and unknown variable in the string values under `value`."""
    if isinstance(value, str):
        if "${" in value:
            for message, hint in _problems(value, known):
                yield Finding(path, message, hint)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from template_findings(item, path + (key,), known)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from template_findings(item, path + (index,), known)


def uses(value: Any) -> set[str]:
    """The variable names the string values under `value` refer to."""
    if isinstance(value, str):
        return {m.group(1) for m in _TOKEN.finditer(value) if m.group(1)} if "${" in value else set()
    if isinstance(value, dict):
        return set().union(*(uses(item) for item in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(uses(item) for item in value)) if value else set()
    return set()


def substitute(value: Any, variables: Mapping[str, str]) -> Any:
    """`value` with every `${NAME}` replaced (checked values only: unknown names are left as written)."""
    if isinstance(value, str):
        if "${" not in value:
            return value
        return _TOKEN.sub(lambda m: _replacement(m, variables), value)
    if isinstance(value, dict):
        return {key: substitute(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [substitute(item, variables) for item in value]
    return value


def _replacement(match: re.Match[str], variables: Mapping[str, str]) -> str:
    if match.group(0) == "$${":
        return "${"
    name = match.group(1)
    return variables.get(name, match.group(0)) if name is not None else match.group(0)

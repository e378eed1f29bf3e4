"""JSON Schema validation with one plain-spoken Finding per real problem.

The published schema (`schemas/bucket-notifications.schema.json`) lets a bucket's rules be any
of the three dialects, because a file alone cannot say which provider type a bucket has. Here
the document is checked without the rules, and each bucket's rules are then checked against
the exact dialect of its provider, so a typo yields one precise message instead of anyOf noise.
A valid instance is recognised by fastjsonschema's compiled check first; jsonschema explains
only invalid ones (tests/config/test_config_schema_quick_check.py holds the two to agreement).
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from pathlib import Path as FilePath
from typing import Any

import fastjsonschema
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

from reconciler.config.diagnostics import Finding, Path, near_miss, one_of, quote
from reconciler.kinds import KINDS

# schemas/ is shipped inside the package (reconciler/schemas links to it), so any install finds it
SCHEMA_FILE = FilePath(__file__).resolve().parents[1] / "schemas" / "bucket-notifications.schema.json"
DIALECT_DEFINITIONS = {"qingstor": "qingstor_rule", "bos": "bos_rule", "s3": "s3_rule"}
_DEFINITIONS = "#/definitions/"

_SUGGESTED_ENCRYPTION_KEY_ENV = "BOS_NOTIFY_KEY"
_TYPE_WORDS = {
    "string": "a string",
    "array": "a list",
    "object": "a mapping",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


@functools.cache
def published_schema() -> dict[str, Any]:
    """The schema as published for editors."""
    with open(SCHEMA_FILE, encoding="utf-8") as stream:
        return json.load(stream)


@functools.cache
def _document_validator() -> Draft7Validator:
    schema = copy.deepcopy(published_schema())
    schema["definitions"]["bucket"]["properties"]["notifications"]["items"] = {}  # checked per dialect
    schema["definitions"]["rule_set"]["properties"]["notifications"]["items"] = {}  # checked per dialect
    del schema["definitions"]["bucket"]["oneOf"]  # one of bucket, buckets, select: said plainly by config.entries
    definitions = schema.pop("definitions")
    return Draft7Validator(_inlined(schema, definitions))


@functools.cache
def _rule_validator(provider_type: str) -> Draft7Validator:
    definitions = published_schema()["definitions"]
    return Draft7Validator(_inlined(definitions[DIALECT_DEFINITIONS[provider_type]], definitions))


_QUICK_CHECKS: dict[int, Callable[[Any], bool]] = {}  # by id of the (cached, never freed) validator


def _quick_check(validator: Draft7Validator) -> Callable[[Any], bool]:
    """Whether an instance is valid against the validator's schema, by fastjsonschema's compiled
    code (the same draft and Python's own `re`); only an invalid one is explained by jsonschema."""
    check = _QUICK_CHECKS.get(id(validator))
    if check is None:
        check = _QUICK_CHECKS[id(validator)] = _compiled(validator.schema)
    return check


def _compiled(schema: dict[str, Any]) -> Callable[[Any], bool]:
    compiled = fastjsonschema.compile(schema, use_default=False)  # never fill defaults into the instance

    def valid(instance: Any) -> bool:
        try:
            compiled(instance)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    return valid


def _inlined(schema: Any, definitions: Mapping[str, Any]) -> Any:
    """`schema` with each `#/definitions/NAME` reference replaced by that definition.

    The same checks and errors (draft-07 ignores a reference's siblings; no definition refers to
    itself), without jsonschema resolving a reference for every value of every bucket.
    """
    if isinstance(schema, list):
        return [_inlined(item, definitions) for item in schema]
    if not isinstance(schema, dict):
        return schema
    reference = schema.get("$ref")
    if isinstance(reference, str) and reference.startswith(_DEFINITIONS):
        return _inlined(definitions[reference.removeprefix(_DEFINITIONS)], definitions)
    return {key: _inlined(value, definitions) for key, value in schema.items()}


def document_findings(document: Any) -> list[Finding]:
    """Problems of one file's content, rules of buckets excepted."""
    return _findings(_document_validator(), document, (), document)


def rule_findings(provider_type: str, rule: Any, path: Path, document: Any) -> list[Finding]:
    """Problems of one rule against its provider's dialect; `path` is where the rule sits."""
    return _findings(_rule_validator(provider_type), rule, path, document)


def _findings(validator: Draft7Validator, instance: Any, prefix: Path, document: Any) -> list[Finding]:
    if _quick_check(validator)(instance):
        return []  # valid: jsonschema would find nothing, and it costs 20 times more to say so
    found: list[Finding] = []
    for error in validator.iter_errors(instance):
        for finding in _explain(error, prefix, document):
            if finding not in found:
                found.append(finding)
    # a misspelt field is one problem, not also a missing one
    misspelt = {Finding(f.path[:-1], _missing(f.hint)) for f in found if f.at_key and f.hint is not None}
    return [finding for finding in found if finding not in misspelt]


def _missing(name: str) -> str:
    return f"missing required field {quote(name)}"


def _explain(error: ValidationError, prefix: Path, document: Any) -> Iterator[Finding]:
    path = prefix + tuple(error.absolute_path)
    kind, expected, instance, schema = error.validator, error.validator_value, error.instance, error.schema
    secret = _is_secret_ref(schema)
    if kind == "additionalProperties":
        allowed = list(schema.get("properties", {}))
        for key in instance:
            if key not in allowed:
                yield _unknown_field(path, key, allowed)
    elif kind == "required":
        for name in expected:
            if name not in instance:
                yield Finding(path, _missing(name))
    elif kind == "enum":
        yield Finding(path, f"{quote(instance)} is not one of {one_of(expected)}", near_miss(instance, expected))
    elif kind == "type" and secret and isinstance(instance, (str, int, float)):
        yield Finding(path, _literal_secret_message(path, document))
    elif kind == "type":
        yield Finding(path, f"expected {_expected_types(expected)}, got {describe(instance)}")
    elif kind in ("anyOf", "oneOf"):
        yield from _explain_alternatives(error, prefix, document)
    elif kind == "minProperties" and secret:
        yield Finding(path, "a secret reference needs {env: NAME} or {file: PATH}")
    elif kind == "maxProperties" and secret:
        yield Finding(path, "a secret reference names either env or file, not both")
    elif kind in ("minItems", "minLength") and expected == 1:
        yield Finding(path, "must not be empty")
    elif kind == "pattern":
        yield _pattern(error, path)
    else:
        yield Finding(path, error.message)


def _unknown_field(path: Path, key: str, allowed: list[str]) -> Finding:
    hint = near_miss(key, allowed)
    message = f"unknown field {quote(key)}"
    if hint is None:
        message += f" (allowed: {', '.join(allowed)})"
    return Finding(path + (key,), message, hint, at_key=True)


def _pattern(error: ValidationError, path: Path) -> Finding:
    advice = error.schema.get("patternErrorMessage", f"must match {error.validator_value}")
    if "propertyNames" in error.schema_path:  # the instance is a key of the mapping at `path`
        return Finding(path + (error.instance,), f"{quote(error.instance)} is not valid: {advice}", at_key=True)
    return Finding(path, f"{quote(error.instance)} is not valid: {advice}")


def _explain_alternatives(error: ValidationError, prefix: Path, document: Any) -> Iterator[Finding]:
    """Report the problems of the one alternative whose type fits; otherwise which types fit."""
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context or ():
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    fitting = [
        errors
        for errors in branches.values()
        if not any(sub.validator == "type" and not sub.relative_path for sub in errors)
    ]
    if len(fitting) == 1:
        for sub in fitting[0]:
            yield from _explain(sub, prefix, document)
        return
    types = [alternative.get("type") for alternative in error.validator_value if isinstance(alternative, Mapping)]
    path = prefix + tuple(error.absolute_path)
    if types and all(isinstance(t, str) for t in types):
        yield Finding(path, f"expected {_expected_types(types)}, got {describe(error.instance)}")
    else:
        yield Finding(path, error.message)


def _is_secret_ref(schema: Any) -> bool:
    return schema == published_schema()["definitions"]["secret_ref"]


def _literal_secret_message(path: Path, document: Any) -> str:
    name = _suggested_variable(path, document)
    return (
        "literal secrets are not allowed here; reference an environment variable with "
        f"{{env: {name}}} or a file with {{file: PATH}}"
    )


def _suggested_variable(path: Path, document: Any) -> str:
    if path[-2:] == ("encryption", "key"):
        return _SUGGESTED_ENCRYPTION_KEY_ENV
    if len(path) >= 4 and path[0] == "providers" and path[2] == "credentials":
        provider = document.get("providers", {}).get(path[1], {}) if isinstance(document, dict) else {}
        kind = provider.get("type") if isinstance(provider, dict) else None
        names = KINDS[kind].credentials.get(str(path[3]), ()) if isinstance(kind, str) and kind in KINDS else ()
        return names[0] if names else "NAME"
    return "NAME"


def _expected_types(types: Any) -> str:
    names = [types] if isinstance(types, str) else list(types)
    words = [_TYPE_WORDS.get(name, name) for name in names]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def describe(value: Any) -> str:
    """What a value is, in the words of the file's author."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({quote(value)})"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return f"a string ({quote(value)})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, date):
        return f"a date ({value.isoformat()}); quote it to make it a string"
    if isinstance(value, bytes):
        return "binary data"
    tag = getattr(value, "tag", None)
    return f"a value tagged {tag}" if tag is not None else type(value).__name__

"""The published JSON Schema: a draft-07 contract in step with the models, usable by editors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_args

import pytest
from jsonschema import Draft7Validator
from pydantic import BaseModel
from ruamel.yaml import YAML

from reconciler.config.schema import SCHEMA_FILE
from reconciler.kinds import KINDS, bos, qingstor, s3
from reconciler.model import (
    BosApp,
    BosEncryption,
    BosProvider,
    BosRule,
    BucketConfig,
    CloudfuncArgs,
    Configuration,
    Credentials,
    FilterRule,
    QingStorProvider,
    QingStorRule,
    S3Filter,
    S3Provider,
    S3Rule,
)
from reconciler.model.config import Ownership

pytestmark = pytest.mark.unit

ROOT = Path(__file__).parents[2]
SCHEMA: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
DEFINITIONS = SCHEMA["definitions"]
FIXTURES = Path(__file__).parent / "fixtures" / "valid"

# schema definition -> model, and the model fields the schema does not describe
PARITY: list[tuple[str, type[BaseModel], set[str]]] = [
    ("qingstor_rule", QingStorRule, set()),
    ("qingstor_cloudfunc_args", CloudfuncArgs, set()),
    ("bos_rule", BosRule, set()),
    ("bos_app", BosApp, set()),
    ("bos_encryption", BosEncryption, set()),
    ("s3_rule", S3Rule, set()),
    ("s3_filter", S3Filter, set()),
    ("s3_filter_rule", FilterRule, set()),
    ("s3_credentials", Credentials, set()),
    ("qingstor_provider", QingStorProvider, {"name"}),
    ("bos_provider", BosProvider, {"name"}),
    ("s3_provider", S3Provider, {"name"}),
    ("bucket", BucketConfig, {"source"}),
]

# an entry's ways of naming many buckets and sharing rules are expanded away before the model
ENTRY_ONLY = {"bucket": {"buckets", "select", "use", "overrides", "vars"}}


def _required(model: type[BaseModel], ignored: set[str]) -> set[str]:
    return {name for name, field in model.model_fields.items() if field.is_required() and name not in ignored}


@pytest.mark.parametrize(("definition", "model", "ignored"), PARITY, ids=[p[0] for p in PARITY])
def test_schema_definition_matches_model(definition: str, model: type[BaseModel], ignored: set[str]) -> None:
    schema = DEFINITIONS[definition]
    assert set(schema["properties"]) - ENTRY_ONLY.get(definition, set()) == set(model.model_fields) - ignored
    # a provider's `type` is required in files although the model knows its own literal
    assert set(schema.get("required", ())) - {"type"} == _required(model, ignored) - {"bucket"}


def test_non_s3_credentials_are_the_s3_ones_without_a_session_token() -> None:
    assert set(DEFINITIONS["credentials"]["properties"]) == set(Credentials.model_fields) - {"session_token"}


def test_top_level_matches_configuration() -> None:
    # rule sets are expanded into the buckets; selections are what plan resolved selectors to
    assert set(SCHEMA["properties"]) - {"$schema", "rule_sets"} == set(Configuration.model_fields) - {"selections"}


def _enum(definition: str, *keys: str) -> list[str]:
    node = DEFINITIONS[definition]["properties"]
    for key in keys:
        node = node[key]
    return node["enum"]


def test_enums_match_the_registry() -> None:
    assert _enum("qingstor_rule", "event_types", "items") == list(qingstor.EVENT_TYPES)
    assert _enum("qingstor_rule", "cloudfunc") == list(qingstor.CLOUDFUNCS)
    assert _enum("bos_rule", "status") == list(bos.STATUSES)
    assert _enum("bos_rule", "events", "items") == list(bos.EVENTS)
    assert _enum("s3_rule", "type") == list(s3.RULE_TYPES)
    assert set(_enum("s3_rule", "events", "items")) == {e for flavor in s3.FLAVORS.values() for e in flavor.events}
    assert _enum("s3_provider", "flavor") == list(s3.FLAVORS)
    assert DEFINITIONS["ownership"]["enum"] == list(get_args(Ownership))
    assert DEFINITIONS["provider"]["properties"]["type"]["enum"] == list(KINDS)


def test_credential_descriptions_name_the_registry_variables_in_order() -> None:
    """The schema once suggested QY_* while the tool read QINGSTOR_* first: both now come from one entry."""
    described = DEFINITIONS["qingstor_provider"]["properties"]["credentials"]["description"]
    for field in ("access_key_id", "secret_access_key"):
        names = qingstor.KIND.credentials[field]
        positions = [described.index(name) for name in names]
        assert positions == sorted(positions), f"{field}: {names} out of order in {described!r}"


def test_schema_is_a_documented_draft_07_contract() -> None:
    Draft7Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert SCHEMA["$id"].startswith("https://") and SCHEMA["title"] and SCHEMA["description"]
    assert SCHEMA_FILE.read_bytes() == (ROOT / "schemas" / "bucket-notifications.schema.json").read_bytes()


def _properties(node: Any, where: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = []
    if isinstance(node, dict):
        for name, value in node.get("properties", {}).items():
            found.append((f"{where}.{name}", value))
        for key, value in node.items():
            found += _properties(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _properties(value, f"{where}[{index}]")
    return found


def test_every_property_has_a_description_and_examples() -> None:
    documented = [(where, prop) for where, prop in _properties(SCHEMA) if "/if" not in where]  # `if` only tests
    assert len(documented) > 60
    assert [where for where, prop in documented if not prop.get("description") or not prop.get("examples")] == []


def test_closed_objects() -> None:
    open_objects = [
        name
        for name, definition in DEFINITIONS.items()
        if "properties" in definition and definition.get("additionalProperties") is not False
    ]
    # provider dispatches on `type` to closed definitions; cloudfunc_args are "custom parameters"
    assert open_objects == ["provider", "qingstor_cloudfunc_args"]
    assert SCHEMA["additionalProperties"] is False


def _yaml(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "examples").glob("*.yaml")) + sorted(FIXTURES.glob("*.yaml")) + sorted(FIXTURES.glob("*.json")),
    ids=lambda p: p.name,
)
def test_published_schema_accepts_valid_files_as_editors_see_them(path: Path) -> None:
    assert list(Draft7Validator(SCHEMA).iter_errors(_yaml(path))) == []


def test_published_schema_refuses_a_literal_secret_and_an_unknown_field() -> None:
    document = {
        "version": 1,
        "providers": {
            "qs": {
                "type": "qingstor",
                "zone": "pek3b",
                "credentials": {"access_key_id": "AK", "secret_access_key": {"env": "SK"}},
            }
        },
        "buckets": [
            {
                "provider": "qs",
                "bucket": "b",
                "notifications": [{"id": "a", "event_types": ["create_object"], "cloudfunc": "x"}],
            }
        ],
    }
    paths = sorted(tuple(error.absolute_path) for error in Draft7Validator(SCHEMA).iter_errors(document))
    assert paths == [("buckets", 0, "notifications", 0), ("providers", "qs", "credentials", "access_key_id")]

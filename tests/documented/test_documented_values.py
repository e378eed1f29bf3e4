"""One table of documented values (values.csv: one row per documented field, enum value or limit,
each citing its source page) checked against both the tool's registry (reconciler.kinds) and the
emulator, which keeps tables of its own (reconciler.emulator.documented) and is also asked over
HTTP. A value missing on either side, or one the documents do not have, fails here."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest

from reconciler.emulator import documented as emulator_tables
from reconciler.kinds import KINDS, bos, qingstor, s3
from reconciler.providers.bos.client import CONTENT_TYPE
from tests.support.emulator import RunningEmulator

TABLE = Path(__file__).parent / "values.csv"
XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"


def _rows() -> list[dict[str, str]]:
    with TABLE.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def _documented() -> dict[tuple[str, str], set[str]]:
    groups: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in _rows():
        groups[(row["provider"], row["subject"])].add(row["value"])
    return dict(groups)


def _required(model: type) -> set[str]:
    return {name for name, field in model.model_fields.items() if field.is_required()}  # type: ignore[attr-defined]


def _flavor(name: str) -> s3.S3Flavor:
    return s3.FLAVORS[name]


REGISTRY: dict[tuple[str, str], set[str]] = {
    ("qingstor", "event_type"): set(qingstor.EVENT_TYPES),
    ("qingstor", "cloudfunc"): set(qingstor.CLOUDFUNCS),
    ("qingstor", "required_field"): _required(qingstor.KIND.rule_model),
    ("qingstor", "image_arg"): set(qingstor.IMAGE_ARGS),
    ("qingstor", "image_arg_required"): set(qingstor.IMAGE_ARGS_REQUIRED),
    ("qingstor", "image_arg_default"): {f"{k}={v}" for k, v in qingstor.IMAGE_ARGS_DEFAULTS.items()},
    ("qingstor", "needs_notify_url"): set(qingstor.NEEDS_NOTIFY_URL),
    ("qingstor", "ordered"): {str(KINDS["qingstor"].ordered(None)).lower()},
    ("bos", "status"): set(bos.STATUSES),
    ("bos", "event"): set(bos.EVENTS),
    ("bos", "event_url_scheme"): set(bos.EVENT_URL_SCHEMES),
    ("bos", "resource_max_wildcards"): {str(bos.RESOURCE_MAX_WILDCARDS)},
    ("bos", "required_field"): _required(bos.KIND.rule_model),
    ("bos", "full_rule_field"): set(bos.FULL_RULE_FIELDS),
    ("bos", "content_type"): {CONTENT_TYPE},
    ("s3/jdcloud", "event"): set(_flavor("jdcloud").events),
    ("s3/jdcloud", "rule_type"): set(_flavor("jdcloud").rule_types),
    ("s3/jdcloud", "max_callbacks"): {str(s3.JDCLOUD_MAX_ENDPOINTS)},
    ("s3/jdcloud", "filter_max_bytes"): {str(s3.FILTER_VALUE_MAX_BYTES)},
    ("s3/jdcloud", "ordered"): {str(_flavor("jdcloud").ordered).lower()},
    ("s3/aws", "event"): set(_flavor("aws").events),
    ("s3/aws", "rule_type"): set(_flavor("aws").rule_types),
    ("s3/minio", "event"): set(_flavor("minio").events),
    ("s3/minio", "rule_type"): set(_flavor("minio").rule_types),
    ("s3/ceph", "event"): set(_flavor("ceph").events),
    ("s3/ceph", "rule_type"): set(_flavor("ceph").rule_types),
    ("s3/ceph", "implied_event"): set(_flavor("ceph").implied_events),
}

e = emulator_tables
# what the emulator's own tables say; rows about the tool's advice (notifier without notify_url
# is refused by `validate`, not documented as refused by the server) or its requests have none
EMULATOR: dict[tuple[str, str], set[str]] = {
    ("qingstor", "event_type"): set(e.QINGSTOR_EVENT_TYPES),
    ("qingstor", "cloudfunc"): set(e.QINGSTOR_CLOUDFUNCS),
    ("qingstor", "required_field"): set(e.QINGSTOR_REQUIRED),
    ("qingstor", "image_arg"): set(e.QINGSTOR_IMAGE_ARGS),
    ("qingstor", "image_arg_required"): set(e.QINGSTOR_IMAGE_ARGS_REQUIRED),
    ("qingstor", "image_arg_default"): {f"{k}={v}" for k, v in e.QINGSTOR_IMAGE_ARGS.items() if v is not None},
    ("bos", "status"): set(e.BOS_STATUSES),
    ("bos", "event"): set(e.BOS_EVENTS),
    ("bos", "event_url_scheme"): set(e.BOS_EVENT_URL_SCHEMES),
    ("bos", "resource_max_wildcards"): {str(e.BOS_RESOURCE_MAX_WILDCARDS)},
    ("bos", "required_field"): set(e.BOS_REQUIRED),
    ("bos", "full_rule_field"): set(e.BOS_FULL_RULE),
    ("s3/jdcloud", "event"): set(e.JDCLOUD_EVENTS),
    ("s3/jdcloud", "rule_type"): set(e.JDCLOUD_CONFIGURATIONS),
    ("s3/jdcloud", "max_callbacks"): {str(e.JDCLOUD_MAX_CALLBACKS)},
    ("s3/jdcloud", "filter_max_bytes"): {str(e.JDCLOUD_FILTER_MAX_BYTES)},
    ("s3/aws", "event"): set(e.AWS_EVENTS),
    ("s3/aws", "rule_type"): set(e.TARGET_ELEMENT),
    ("s3/minio", "event"): set(e.MINIO_EVENTS),
    ("s3/ceph", "event"): set(e.CEPH_EVENTS),
    ("s3/ceph", "implied_event"): set(e.CEPH_IMPLIED_EVENTS),
}


def test_every_row_cites_a_source_and_is_unique() -> None:
    rows = _rows()
    assert all(row["source"].strip() for row in rows)
    keys = [(row["provider"], row["subject"], row["value"]) for row in rows]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("group", sorted(_documented()), ids="/".join)
def test_registry_states_exactly_the_documented_values(group: tuple[str, str]) -> None:
    assert group in REGISTRY, f"the registry states nothing for {group}"
    assert REGISTRY[group] == _documented()[group]


@pytest.mark.parametrize("group", sorted(EMULATOR), ids="/".join)
def test_emulator_tables_state_exactly_the_documented_values(group: tuple[str, str]) -> None:
    assert EMULATOR[group] == _documented()[group]


def test_registry_has_no_group_the_table_lacks() -> None:
    assert set(REGISTRY) <= set(_documented())


# --- the emulator asked over HTTP: every documented enum value accepted, a near miss refused ------


def _xml(kind: str, target: str, events: list[str]) -> bytes:
    element, target_element = e.CONFIGURATION_ELEMENT[kind], e.TARGET_ELEMENT[kind]
    body = "".join(f"<Event>{event}</Event>" for event in events)
    return (
        f'<NotificationConfiguration xmlns="{XMLNS}"><{element}><Id>r</Id><{target_element}>{target}'
        f"</{target_element}>{body}</{element}></NotificationConfiguration>"
    ).encode()


def _put_json(emulator: RunningEmulator, dialect: str, bucket: str, rules: list[dict]) -> int:
    body = json.dumps({"notifications": rules}).encode()
    return emulator.request(dialect, "PUT", bucket, body=body, headers={"Content-Type": CONTENT_TYPE}).status_code


def test_emulator_accepts_every_documented_qingstor_and_bos_value(emulator: RunningEmulator) -> None:
    table = _documented()
    emulator.admin.create_bucket("qingstor", "documented")
    rules = [
        {"id": f"r{i}", "event_types": sorted(table[("qingstor", "event_type")]), "cloudfunc": cloudfunc,
         "cloudfunc_args": {"action": "resize:w_200"}, "notify_url": "https://h.example/q"}
        for i, cloudfunc in enumerate(sorted(table[("qingstor", "cloudfunc")]))
    ]  # fmt: skip
    assert _put_json(emulator, "qingstor", "documented", rules) == 200
    assert _put_json(emulator, "qingstor", "documented", [{**rules[0], "event_types": ["create_objects"]}]) == 400

    emulator.admin.create_bucket("bos", "documented")
    apps = [{"id": f"a{i}", "eventUrl": f"{scheme}://h.example/b" if scheme.startswith("http") else f"{scheme}:x"}
            for i, scheme in enumerate(sorted(table[("bos", "event_url_scheme")]))]  # fmt: skip
    full = {"id": "full", "appId": "a0", "status": "enabled", "resources": ["/x/*"],
            "events": sorted(table[("bos", "event")]), "apps": apps}  # fmt: skip
    simplified = {name: full[name] for name in table[("bos", "required_field")]}
    statuses = [{**simplified, "id": f"s-{status}", "status": status} for status in table[("bos", "status")]]
    assert _put_json(emulator, "bos", "documented", [full, *statuses]) == 200
    assert _put_json(emulator, "bos", "documented", [{**full, "events": ["ObjectModifyGroup"]}]) == 400


@pytest.mark.parametrize("flavor", ["jdcloud", "aws", "minio", "ceph"])
def test_emulator_accepts_every_documented_event_of_each_flavor(emulator: RunningEmulator, flavor: str) -> None:
    events = sorted(_documented()[(f"s3/{flavor}", "event")])
    kind, target = {
        "jdcloud": ("topic", "NS:https://a.example.com/cb"),
        "aws": ("topic", "arn:aws:sns:us-east-1:123456789012:t"),
        "minio": ("queue", f"arn:minio:sqs:{emulator.region}:primary:webhook"),
        "ceph": ("topic", "arn:aws:sns:default::t"),
    }[flavor]
    emulator.admin.create_bucket("s3", f"documented-{flavor}", flavor=flavor)
    # one event at a time: AWS refuses overlapping event types within one configuration set
    for event in events:
        response = emulator.request("s3", "PUT", f"documented-{flavor}", body=_xml(kind, target, [event]))
        assert response.status_code == 200, (event, response.text)
    refused = emulator.request("s3", "PUT", f"documented-{flavor}", body=_xml(kind, target, ["s3:ObjectCreated:Putt"]))
    assert refused.status_code == 400


def test_emulator_accepts_a_jdcloud_cloud_function_configuration(emulator: RunningEmulator) -> None:
    emulator.admin.create_bucket("s3", "jd-function", flavor="jdcloud")
    body = _xml("cloud_function", "function-01", ["s3:ObjectCreated:*"])
    assert emulator.request("s3", "PUT", "jd-function", body=body).status_code == 200
    assert "<CloudFunction>function-01</CloudFunction>" in emulator.request("s3", "GET", "jd-function").text

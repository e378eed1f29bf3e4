"""One case per dialect and flavor: a provider on the emulator, a managed rule in two versions,
and a foreign rule in the server's wire form."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from tests.support.emulator import RunningEmulator

BOS_SECRET = "bos-notify-signing-key-never-shown"
XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"


@dataclass(frozen=True)
class Case:
    name: str  # provider name in the configuration
    dialect: str  # the emulator's dialect
    flavor: str | None
    rule: dict[str, Any]
    changed: dict[str, Any]  # the same rule, one field different
    foreign: Any  # wire-form document holding one foreign rule with id "theirs"

    def provider(self, emulator: RunningEmulator) -> dict[str, Any]:
        settings: dict[str, Any] = {"type": self.dialect, "endpoint": emulator.url}
        if self.dialect == "qingstor":
            settings["zone"] = "pek3b"
        elif self.dialect == "bos":
            settings["region"] = "bj"
        else:
            settings.update(flavor=self.flavor, region=emulator.region)
        return settings

    def bucket(self, name: str, *rules: dict[str, Any], ownership: str = "shared") -> dict[str, Any]:
        return {"provider": self.name, "bucket": name, "ownership": ownership, "notifications": list(rules)}

    def address(self, bucket: str) -> str:
        return f"{self.name}/{bucket}"

    def create(self, emulator: RunningEmulator, bucket: str, *, foreign: bool = False) -> None:
        document = self.foreign if foreign else None
        emulator.admin.create_bucket(self.dialect, bucket, flavor=self.flavor, document=document)

    def foreign_entry(self, emulator: RunningEmulator, bucket: str) -> Any:
        """The foreign rule exactly as the server stores it (None when it is gone)."""
        document = emulator.admin.document(self.dialect, bucket)
        if self.dialect in ("qingstor", "bos"):
            return next((e for e in document.get("notifications", []) if e.get("id") == "theirs"), None)
        match = re.search(
            r"<((?:Topic|Queue|CloudFunction)Configuration)>(?:(?!</\1>).)*<Id>theirs</Id>.*?</\1>", document, re.DOTALL
        )
        return match.group(0) if match else None

    def ids(self, emulator: RunningEmulator, bucket: str) -> list[str]:
        document = emulator.admin.document(self.dialect, bucket)
        if self.dialect in ("qingstor", "bos"):
            return [e["id"] for e in document.get("notifications", [])]
        return re.findall(r"<Id>([^<]*)</Id>", document)

    def writes(self, emulator: RunningEmulator, bucket: str) -> int:
        counts = emulator.admin.requests(self.dialect, bucket)
        return counts.get("PUT", 0) + counts.get("DELETE", 0)


def _s3_document(kind: str, target: str) -> str:
    element = f"{kind}Configuration"
    return (
        f'<NotificationConfiguration xmlns="{XMLNS}"><{element}><Id>theirs</Id><{kind}>{target}</{kind}>'
        f"<Event>s3:ObjectRemoved:*</Event></{element}></NotificationConfiguration>"
    )


def _changed(rule: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return json.loads(json.dumps({**rule, **fields}))


def _s3_case(
    name: str, flavor: str, rule: dict[str, Any], change: dict[str, Any], foreign_kind: str, foreign_target: str
) -> Case:
    """An S3-dialect case whose foreign rule is a `<foreign_kind>Configuration` on object removal."""
    changed = _changed(rule, **change)
    return Case(name, "s3", flavor, rule, changed, _s3_document(foreign_kind, foreign_target))


_QS = {
    "id": "thumbs",
    "event_types": ["create_object"],
    "cloudfunc": "notifier",
    "notify_url": "https://hooks.example.com/qs",
}
_BOS = {
    "id": "ocr",
    "appId": "app-ocr",
    "status": "enabled",
    "resources": ["/scans/*.png"],
    "events": ["PutObject"],
    "apps": [{"id": "app-ocr", "eventUrl": "app:ImageOcr", "xVars": '{"saveUrl": "http://x/ocr"}'}],
    "encryption": {"key": {"env": "BOS_NOTIFY_KEY"}},
}
_AWS = {
    "id": "uploads",
    "type": "topic",
    "target": "arn:aws:sns:us-east-1:123456789012:uploads",
    "events": ["s3:ObjectCreated:*"],
    "filter": {"prefix": "incoming/", "suffix": ".jpg"},
}
_JD = {"id": "callback", "type": "topic", "target": "NS:https://a.example.com/cb", "events": ["s3:ObjectCreated:*"]}
_MINIO = {"id": "hook", "type": "queue", "target": "arn:minio:sqs::primary:webhook", "events": ["s3:ObjectCreated:*"]}
_CEPH = {"id": "topic", "type": "topic", "target": "arn:aws:sns:default::uploads", "events": ["s3:ObjectCreated:*"]}

CASES = [
    Case(
        "qs",
        "qingstor",
        None,
        _QS,
        _changed(_QS, event_types=["create_object", "delete_object"]),
        {
            "notifications": [
                {
                    "id": "theirs",
                    "event_types": ["delete_object"],
                    "cloudfunc": "tupu-porn",
                    "notify_url": "https://other.example.com/x",
                    "object_filters": ["*.gif"],
                }
            ]
        },
    ),
    Case(
        "bj",
        "bos",
        None,
        _BOS,
        _changed(_BOS, status="disabled"),
        {
            "notifications": [
                {
                    "id": "theirs",
                    "appId": "other",
                    "status": "enabled",
                    "resources": ["/x/*"],
                    "events": ["DeleteObject"],
                    "apps": [{"id": "other", "eventUrl": "https://other.example.com/bos"}],
                }
            ]
        },
    ),
    _s3_case("aws", "aws", _AWS, {"events": ["s3:ObjectCreated:Put"]}, "Queue", "arn:aws:sqs:us-east-1:123456789012:theirs"),
    _s3_case(
        "jd",
        "jdcloud",
        _JD,
        {"target": "NS:https://a.example.com/cb,https://b.example.com/cb"},
        "Topic",
        "NS:https://other.example.com/cb",
    ),
    _s3_case("mn", "minio", _MINIO, {"events": ["s3:ObjectCreated:Put"]}, "Queue", "arn:minio:sqs::secondary:webhook"),
    _s3_case("ce", "ceph", _CEPH, {"events": ["s3:ObjectCreated:Put"]}, "Topic", "arn:aws:sns:default::theirs"),
]
BY_NAME = {case.name: case for case in CASES}

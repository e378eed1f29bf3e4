"""What each S3-compatible server does with PUT/GET/DELETE ?notification (providers.md §3-4).

- aws: PUT replaces the whole document; missing Ids are invented; FilterRule names come back
  capitalised; overlapping filters for intersecting events and unknown events are rejected;
  no DELETE (405 MethodNotAllowed); entries come back grouped Topic, Queue, CloudFunction.
- jdcloud: TopicConfiguration with `NS:` topics of at most 5 http(s) endpoints, and
  CloudFunctionConfiguration with a function id (the PUT page documents both; the id's form is
  not documented, so any non-empty text is kept); order kept (first match wins); missing Ids
  invented; no DELETE.
- minio: only QueueConfiguration with `arn:minio:sqs:<region>:<id>:<type>`; GET answers the
  server's region in every ARN; identical queues or repeated events are rejected; no DELETE.
- ceph: PUT upserts by (Id, topic) and keeps everything else; an empty PUT or a missing Id is
  400 MalformedXML (with an empty Message, as RGW does); topic ARNs become
  `arn:aws:sns:default::<name>`; GET sorts by Id; `?notification=<id>` reads or deletes one Id.
"""

from __future__ import annotations

import base64
import uuid
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from reconciler.emulator.documented import (
    AWS_FILTER_MAX_CHARS,
    CEPH_IMPLIED_EVENTS,
    EVENTS_BY_FLAVOR,
    JDCLOUD_CONFIGURATIONS,
    JDCLOUD_FILTER_MAX_BYTES,
    JDCLOUD_MAX_CALLBACKS,
    MINIO_FILTER_MAX_BYTES,
    TARGET_ELEMENT,
)
from reconciler.emulator.s3_wire import (
    EVENT_BRIDGE,
    ParsedConfiguration,
    ParsedEntry,
    Rendering,
    malformed,
)
from reconciler.emulator.wire import ApiError

AWS_ARN_SERVICE = {"topic": "sns", "queue": "sqs", "cloud_function": "lambda"}
AWS_KIND_ORDER = {"topic": 0, "queue": 1, "cloud_function": 2, EVENT_BRIDGE: 3}
OVERLAP_MESSAGE = "Configurations overlap. Configurations on the same bucket cannot share a common event type."


def invalid_argument(message: str, name: str | None = None, value: str = "") -> ApiError:
    details = {"ArgumentName": name, "ArgumentValue": value} if name is not None else {}
    return ApiError(400, "InvalidArgument", message, details=details)


def generated_id() -> str:
    """What AWS invents for a configuration without Id: base64 text of a random UUID."""
    return base64.b64encode(str(uuid.uuid4()).encode()).decode().rstrip("=")


class Flavor(ABC):
    name = ""
    rendering = Rendering()
    quiet_errors = False  # RGW answers every error with an empty <Message>

    def __init__(self, region: str) -> None:
        self.region = region

    @abstractmethod
    def put(self, parsed: ParsedConfiguration, current: tuple[Any, ...]) -> tuple[Any, ...]:
        """The bucket's new rules, or ApiError."""

    def shown(self, rules: tuple[Any, ...], selector: str) -> list[dict[str, Any]]:
        """The entries a GET answers (`selector` is the value of ?notification=)."""
        return list(rules)

    def delete(self, selector: str, current: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """New rules after DELETE ?notification[=selector]; None: the server has no DELETE."""
        return None

    # --- checks shared by the flavors that follow AWS closely --------------------------------

    def _no_structure_problems(self, parsed: ParsedConfiguration) -> None:
        if parsed.unknown:
            raise malformed(f"unexpected element <{parsed.unknown[0]}> in <NotificationConfiguration>")
        for entry in parsed.entries:
            if entry.problems:
                raise malformed(entry.problems[0])
            if entry.unknown_groups:
                raise malformed(f"unexpected element <{entry.unknown_groups[0]}> in <Filter>")
            if entry.target is None:
                raise malformed(f"a configuration has no <{_target_name(entry)}>")
            if not entry.events:
                raise malformed("a configuration has no <Event>")

    def _events_supported(self, entry: ParsedEntry) -> None:
        supported = EVENTS_BY_FLAVOR[self.name]
        for event in entry.events:
            if event not in supported:
                raise invalid_argument(f"The event '{event}' is not supported for notifications.", "Event", event)

    def _key_filter(
        self, entry: ParsedEntry, *, case_sensitive: bool, max_length: int, in_bytes: bool
    ) -> list[list[str]]:
        seen: set[str] = set()
        rules = []
        for group, name, value in entry.filter:
            if group != "S3Key":
                raise malformed(f"<{group}> filters are not supported")
            key = name if case_sensitive else name.lower()
            if key not in ("prefix", "suffix"):
                raise invalid_argument("filter rule name must be either prefix or suffix", "FilterRule", name)
            if key in seen:
                raise invalid_argument(f"Cannot specify more than one {key} rule in a filter.", "FilterRule", name)
            seen.add(key)
            size = len(value.encode("utf-8")) if in_bytes else len(value)
            if size > max_length:
                unit = "bytes" if in_bytes else "characters"
                raise invalid_argument(
                    f"The {key} filter value is longer than {max_length} {unit}.", "FilterRule", name
                )
            rules.append([group, key, value])
        return rules

    @staticmethod
    def _unique_ids(entries: Sequence[dict[str, Any]]) -> None:
        seen: set[str] = set()
        for entry in entries:
            if entry["id"] in seen:
                raise invalid_argument("Configuration Ids must be unique within a bucket.", "Id", entry["id"])
            seen.add(entry["id"])


def _target_name(entry: ParsedEntry) -> str:
    return TARGET_ELEMENT[entry.kind]


class Aws(Flavor):
    name = "aws"
    rendering = Rendering(capitalised_key_rules=True)

    def put(self, parsed: ParsedConfiguration, current: tuple[Any, ...]) -> tuple[Any, ...]:
        self._no_structure_problems(parsed)
        entries = []
        for entry in parsed.entries:
            self._events_supported(entry)
            assert entry.target is not None  # checked above
            if not _aws_arn(entry.target, AWS_ARN_SERVICE[entry.kind]):
                raise invalid_argument("The ARN is not well formed", _target_name(entry), entry.target)
            rules = self._key_filter(entry, case_sensitive=False, max_length=AWS_FILTER_MAX_CHARS, in_bytes=False)
            entries.append(entry.stored(id=entry.id or generated_id(), filter=rules))
        self._unique_ids(entries)
        _no_overlap(entries)
        if parsed.event_bridge:
            entries.append({"kind": EVENT_BRIDGE})
        return tuple(entries)

    def shown(self, rules: tuple[Any, ...], selector: str) -> list[dict[str, Any]]:
        return sorted(rules, key=lambda entry: AWS_KIND_ORDER[entry["kind"]])


def _aws_arn(target: str, service: str) -> bool:
    parts = target.split(":", 5)
    return (
        len(parts) == 6 and parts[0] == "arn" and parts[1].startswith("aws") and parts[2] == service and bool(parts[5])
    )


def _no_overlap(entries: Sequence[dict[str, Any]]) -> None:
    """AWS: two configurations whose events intersect may not have overlapping key filters."""
    for index, first in enumerate(entries):
        for second in entries[index + 1 :]:
            if _events_intersect(first["events"], second["events"]) and _filters_overlap(first, second):
                raise invalid_argument(OVERLAP_MESSAGE, "Event", second["events"][0])


def _events_intersect(first: Sequence[str], second: Sequence[str]) -> bool:
    def covers(wildcard: str, event: str) -> bool:
        return wildcard.endswith(":*") and event.startswith(wildcard[:-1])

    return any(a == b or covers(a, b) or covers(b, a) for a in first for b in second)


def _filters_overlap(first: dict[str, Any], second: dict[str, Any]) -> bool:
    # a missing prefix or suffix matches everything, so it overlaps any other
    a, b = dict((n, v) for _g, n, v in first["filter"]), dict((n, v) for _g, n, v in second["filter"])
    prefixes = (a.get("prefix", ""), b.get("prefix", ""))
    suffixes = (a.get("suffix", ""), b.get("suffix", ""))
    prefix_overlap = prefixes[0].startswith(prefixes[1]) or prefixes[1].startswith(prefixes[0])
    suffix_overlap = suffixes[0].endswith(suffixes[1]) or suffixes[1].endswith(suffixes[0])
    return prefix_overlap and suffix_overlap


class JdCloud(Flavor):
    name = "jdcloud"

    def put(self, parsed: ParsedConfiguration, current: tuple[Any, ...]) -> tuple[Any, ...]:
        self._no_structure_problems(parsed)
        if parsed.event_bridge or any(entry.kind not in JDCLOUD_CONFIGURATIONS for entry in parsed.entries):
            raise invalid_argument("Only TopicConfiguration and CloudFunctionConfiguration are supported.")
        entries = []
        for entry in parsed.entries:
            self._events_supported(entry)
            assert entry.target is not None  # checked above
            if entry.kind == "topic":
                _jd_topic(entry.target)
            rules = self._key_filter(entry, case_sensitive=False, max_length=JDCLOUD_FILTER_MAX_BYTES, in_bytes=True)
            entries.append(entry.stored(id=entry.id or generated_id(), filter=rules))
        self._unique_ids(entries)
        return tuple(entries)


def _jd_topic(topic: str) -> None:
    if not topic.startswith("NS:"):
        raise invalid_argument("The Topic must start with 'NS:' followed by callback URLs.", "Topic", topic)
    endpoints = topic[3:].split(",")
    if len(endpoints) > JDCLOUD_MAX_CALLBACKS:
        raise invalid_argument(f"A Topic may name at most {JDCLOUD_MAX_CALLBACKS} callback endpoints.", "Topic", topic)
    for endpoint in endpoints:
        parts = urlsplit(endpoint.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise invalid_argument(f"The callback endpoint '{endpoint}' is not an http(s) URL.", "Topic", topic)


class Minio(Flavor):
    name = "minio"
    rendering = Rendering(order=("Id", "Filter", "Event", "target"), empty_filter=True)

    def put(self, parsed: ParsedConfiguration, current: tuple[Any, ...]) -> tuple[Any, ...]:
        if parsed.event_bridge or any(entry.kind != "queue" for entry in parsed.entries):
            raise ApiError(
                400,
                "UnsupportedNotification",
                "MinIO server does not support Topic or Cloud Function based notifications",
            )
        self._no_structure_problems(parsed)
        entries: list[dict[str, Any]] = []
        for entry in parsed.entries:
            self._events_supported(entry)
            if len(set(entry.events)) != len(entry.events):
                raise invalid_argument(OVERLAP_MESSAGE, "Event", entry.events[0])
            assert entry.target is not None  # checked above
            target = self._queue_arn(entry.target)
            rules = self._key_filter(entry, case_sensitive=True, max_length=MINIO_FILTER_MAX_BYTES, in_bytes=True)
            stored = entry.stored(id=entry.id or "", target=target, filter=rules)
            if stored in entries:
                raise invalid_argument(OVERLAP_MESSAGE, "Queue", entry.target)
            entries.append(stored)
        return tuple(entries)

    def _queue_arn(self, target: str) -> str:
        parts = target.split(":")
        if len(parts) != 6 or parts[:3] != ["arn", "minio", "sqs"] or not parts[4] or not parts[5]:
            raise invalid_argument(
                "A specified destination ARN does not exist or is not well-formed. Verify the destination ARN.",
                "Queue",
                target,
            )
        if parts[3] and parts[3] != self.region:
            raise invalid_argument(
                "A specified destination is in a different region than the bucket. "
                "You must use a destination that resides in the same region as the bucket.",
                "Queue",
                target,
            )
        return target

    def shown(self, rules: tuple[Any, ...], selector: str) -> list[dict[str, Any]]:
        return [dict(entry, target=self._with_region(entry["target"])) for entry in rules]

    def _with_region(self, arn: str) -> str:
        parts = arn.split(":")
        if len(parts) == 6:
            parts[3] = self.region
        return ":".join(parts)


class Ceph(Flavor):
    name = "ceph"
    rendering = Rendering(order=("Id", "target", "Filter", "Event"), declaration=False, namespace=False)
    quiet_errors = True

    def put(self, parsed: ParsedConfiguration, current: tuple[Any, ...]) -> tuple[Any, ...]:
        # RGW ignores queues, functions and EventBridge next to at least one topic
        topics = [entry for entry in parsed.entries if entry.kind == "topic"]
        if not topics:
            raise malformed("NotificationConfiguration: at least one 'TopicConfiguration' must exist")
        merged = {_ceph_key(entry): entry for entry in current}
        for entry in topics:
            if entry.problems:
                raise malformed(entry.problems[0])
            if not entry.id:
                raise malformed("TopicConfiguration: missing 'Id'")
            if entry.target is None:
                raise malformed("TopicConfiguration: missing 'Topic'")
            parts = entry.target.split(":")
            if len(parts) != 6 or parts[0] != "arn" or not parts[5]:
                raise invalid_argument(f"invalid topic ARN {entry.target!r}", "Topic", entry.target)
            for event in entry.events:
                if event not in EVENTS_BY_FLAVOR["ceph"]:
                    raise invalid_argument(f"unsupported event {event!r}", "Event", event)
            stored = entry.stored(
                target=f"arn:aws:sns:default::{parts[5]}",
                events=list(entry.events) or list(CEPH_IMPLIED_EVENTS),
                filter=_ceph_filter(entry),
            )
            merged[_ceph_key(stored)] = stored
        return tuple(merged[key] for key in sorted(merged, key=lambda k: f"{k[0]}_{k[1]}".encode()))

    def shown(self, rules: tuple[Any, ...], selector: str) -> list[dict[str, Any]]:
        if not selector:
            return list(rules)
        chosen = [entry for entry in rules if entry["id"] == selector]
        if not chosen:
            raise ApiError(404, "NoSuchKey", f"no notification with Id {selector!r}")
        return chosen

    def delete(self, selector: str, current: tuple[Any, ...]) -> tuple[Any, ...] | None:
        # deleting an unknown Id is not an error on RGW
        return tuple(entry for entry in current if selector and entry["id"] != selector)


def _ceph_key(entry: dict[str, Any]) -> tuple[str, str]:
    return entry["id"], entry["target"].rsplit(":", 1)[-1]


def _ceph_filter(entry: ParsedEntry) -> list[list[str]]:
    # an unknown filter group (<Key> instead of <S3Key>) is silently dropped by RGW
    seen: set[str] = set()
    for group, name, _value in entry.filter:
        if group != "S3Key":
            continue
        if name not in ("prefix", "suffix", "regex"):
            raise malformed(f"invalid filter rule name {name!r}")
        if name in seen:
            raise malformed(f"more than one {name!r} filter rule")
        seen.add(name)
    return [list(rule) for rule in entry.filter]


FLAVORS: dict[str, type[Flavor]] = {flavor.name: flavor for flavor in (Aws, JdCloud, Minio, Ceph)}

"""What QingStor and BOS share: a JSON `{"notifications": [...]}` document, replaced by PUT,
cleared by DELETE, rules identified by a unique `id`."""

from __future__ import annotations

import json
from abc import abstractmethod
from typing import Any, ClassVar

from reconciler.emulator.api import NotificationApi
from reconciler.emulator.json_fields import FieldError, obj
from reconciler.emulator.store import Bucket
from reconciler.emulator.wire import ApiError, Call, Outcome, Reply

JSON = "application/json"


class JsonNotificationApi(NotificationApi):
    put_status: ClassVar[int] = 200
    delete_status: ClassVar[int] = 200

    @abstractmethod
    def checked_rule(self, item: Any, path: str) -> dict[str, Any]:
        """The rule as the server stores it; raises FieldError."""

    @abstractmethod
    def field_error(self, error: FieldError) -> ApiError: ...

    @abstractmethod
    def malformed_json(self, detail: str) -> ApiError: ...

    def handle(self, call: Call, bucket: Bucket) -> Outcome:
        if call.method == "GET":
            return Outcome(self.document(bucket))
        if call.method == "PUT":
            return Outcome(Reply(self.put_status), self._rules(call.body))
        if call.method == "DELETE":
            return Outcome(Reply(self.delete_status), ())
        raise self.method_not_allowed(call.method)

    def _rules(self, body: bytes) -> tuple[dict[str, Any], ...]:
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise self.malformed_json(f"The request body is not valid JSON: {error}") from None
        try:
            items = _notifications(document)
            rules = tuple(self.checked_rule(item, f"notifications[{index}]") for index, item in enumerate(items))
            seen: set[str] = set()
            for index, rule in enumerate(rules):
                if rule["id"] in seen:
                    raise FieldError(f"notifications[{index}].id", f"{rule['id']!r} is used twice", shape=False)
                seen.add(rule["id"])
        except FieldError as error:
            raise self.field_error(error) from None
        return rules

    def document(self, bucket: Bucket) -> Reply:
        return Reply(200, json_body({"notifications": list(bucket.rules)}), JSON)

    def admin_view(self, bucket: Bucket) -> dict[str, Any]:
        return {"notifications": list(bucket.rules)}

    def admin_rules(self, document: Any, flavor: str | None) -> tuple[dict[str, Any], ...]:
        try:
            items = enumerate(_notifications(document))
            return tuple(self._as_stored(item, f"notifications[{index}]") for index, item in items)
        except FieldError as error:
            raise ValueError(str(error)) from None

    def _as_stored(self, item: Any, path: str) -> dict[str, Any]:
        """A rule as the server would hold it after another client's PUT; one the API would refuse
        is kept as given, so tests can plant rules that fit no format."""
        entry = obj(item, path)
        try:
            return self.checked_rule(entry, path)
        except FieldError:
            return entry


def json_body(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def _notifications(document: Any) -> list[Any]:
    items = obj(document, "body").get("notifications")
    if not isinstance(items, list):
        raise FieldError("notifications", 'is required: the body is {"notifications": [...]}', shape=True)
    return items

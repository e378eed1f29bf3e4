"""An in-memory NotificationClient for engine tests: documents per bucket, counted requests,
scripted failures and out-of-band changes. Real-server behaviour is tested against the emulator."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, Self

from reconciler.errors import ProviderError
from reconciler.model.common import SecretValue
from reconciler.model.document import DocumentEntry, LiveDocument, LiveRule, Rule


def wire_form(rule: Rule) -> LiveRule:
    """What a server holds after a rule is written: its JSON with any secret in clear."""
    raw = rule.model_dump(mode="json")
    encryption = getattr(rule, "encryption", None)
    if encryption is not None and isinstance(encryption.key, SecretValue):
        raw["encryption"]["key"] = encryption.key.reveal()
    return LiveRule(id=rule.id, raw=raw, rule=rule)


class FakeClient:
    """Buckets and their documents in memory. `fail[(op, bucket)]` raises that error once per call."""

    def __init__(self, documents: dict[str, LiveDocument] | None = None) -> None:
        self.documents: dict[str, LiveDocument] = dict(documents or {})
        self.requests: Counter[tuple[str, str]] = Counter()
        self.fail: dict[tuple[str, str], ProviderError] = {}
        self.after_read: dict[str, Callable[[], Any]] = {}  # bucket → action run after each read
        self.closed = False

    def count(self, op: str, bucket: str) -> int:
        return self.requests[(op, bucket)]

    def writes(self) -> int:
        return sum(n for (op, _), n in self.requests.items() if op not in ("read", "list"))

    def _enter(self, op: str, bucket: str) -> None:
        self.requests[(op, bucket)] += 1
        if (op, bucket) in self.fail:
            raise self.fail[(op, bucket)]
        if bucket not in self.documents:
            raise ProviderError("bucket does not exist", code="NoSuchBucket", status=404, request_id="fake-1")

    async def read(self, bucket: str) -> LiveDocument:
        self._enter("read", bucket)
        document = self.documents[bucket]
        if bucket in self.after_read:
            self.after_read[bucket]()
        return document

    async def write(self, bucket: str, entries: Sequence[DocumentEntry], previous: LiveDocument) -> None:
        self._enter("write", bucket)
        rules = tuple(e if isinstance(e, LiveRule) else wire_form(e) for e in entries)
        self.documents[bucket] = LiveDocument(rules=rules)

    async def clear(self, bucket: str) -> None:
        self._enter("clear", bucket)
        self.documents[bucket] = LiveDocument()

    async def list_buckets(self) -> list[str]:
        self.requests[("list", "")] += 1
        return sorted(self.documents)

    async def aclose(self) -> None:
        self.closed = True

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

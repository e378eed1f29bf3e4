"""S3 dialect: GET / PUT `/<bucket>?notification`, per flavor.

- aws, jdcloud, minio: PUT replaces the whole document; clearing is a PUT of an empty document.
  `DELETE ?notification` is never sent: it is not an S3 operation and on moto it deletes the bucket.
- aws: `x-amz-skip-destination-validation: true` when the provider sets skip_destination_validation.
- ceph: PUT merges by Id and an empty PUT is refused, so a write deletes the Ids that go away or
  change (`DELETE ?notification=<id>`), then PUTs only what is new or changed; clearing is
  `DELETE ?notification`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import httpx

from reconciler.kinds import dialect_for
from reconciler.kinds.s3 import FLAVORS
from reconciler.model.config import S3Provider
from reconciler.model.document import DocumentEntry, LiveDocument, LiveRule
from reconciler.model.s3 import S3Rule
from reconciler.providers.client_base import CLEAR, READ, WRITE, BucketClient
from reconciler.providers.listing import decode_s3_listing, in_location, new_buckets
from reconciler.providers.s3 import codec
from reconciler.providers.s3.auth import SigV4Auth

QUERY = "notification"
XML = {"Content-Type": "application/xml"}


class S3Client(BucketClient):
    def __init__(self, provider: S3Provider, **options: Any) -> None:
        super().__init__(provider, **options)
        self.flavor = provider.flavor
        self._skip_destination_validation = provider.flavor == "aws" and provider.skip_destination_validation
        self._auth = self._signer()
        self._dialect = dialect_for(provider)

    def _signer(self) -> SigV4Auth:
        key = self._key.current()
        return SigV4Auth(
            key.access_key_id,
            key.secret_access_key,
            region=self.provider.region,  # type: ignore[union-attr]
            session_token=key.session_token,
            clock=self.clock,
        )

    def auth(self, bucket: str) -> httpx.Auth:
        # a key from assume-role, SSO or metadata expires: sign with the current one
        return self._auth if self._key.refresh is None else self._signer()

    async def read_once(self, bucket: str) -> LiveDocument:
        response = await self.call("GET", bucket, QUERY, action=READ)
        implied = FLAVORS[self.flavor].implied_events
        return self.decoded(response, bucket, lambda body: codec.decode(body, implied))

    async def write(self, bucket: str, entries: Sequence[DocumentEntry], previous: LiveDocument) -> None:
        if self.flavor != "ceph":
            await self._put(bucket, entries)
        elif not entries:
            await self.clear(bucket)
        else:
            await self._write_ceph(bucket, entries, previous)

    async def clear(self, bucket: str) -> None:
        if self.flavor == "ceph":
            await self._delete(bucket, QUERY)
        else:
            await self._put(bucket, ())

    async def list_buckets(self) -> list[str]:
        """ListBuckets, following ContinuationToken; on aws, the buckets of the provider's region only."""
        names: list[str] = []
        query = ""
        listed: set[str] = set()  # every name seen, of any region
        while True:
            page = self.listing(await self.list_call(query), decode_s3_listing)
            fresh = new_buckets(page, listed)
            names += in_location(fresh, self.provider.region if self.flavor == "aws" else None)  # type: ignore[attr-defined]
            # a page with no new bucket (the same page again, under a new token or the same) ends the
            # listing: a server repeating itself would otherwise be asked forever
            if page.next_token is None or not fresh:
                return names
            query = f"continuation-token={quote(page.next_token, safe='')}"

    async def _put(self, bucket: str, entries: Sequence[DocumentEntry]) -> None:
        headers = dict(XML)
        if self._skip_destination_validation:
            headers["x-amz-skip-destination-validation"] = "true"
        await self.call("PUT", bucket, QUERY, action=WRITE, content=codec.encode(entries), headers=headers)

    async def _delete(self, bucket: str, query: str) -> None:
        if self.flavor != "ceph":  # a guard worth its line: on moto this request deletes the bucket
            raise AssertionError(f"DELETE ?notification is only for ceph, not {self.flavor}")
        await self.call("DELETE", bucket, query, action=CLEAR if query == QUERY else WRITE)

    async def _write_ceph(self, bucket: str, entries: Sequence[DocumentEntry], previous: LiveDocument) -> None:
        live = previous.by_id()
        wanted = {entry.id: entry for entry in entries}
        # RGW keeps one entry per (Id, topic) and deletes one per request: a duplicated Id goes entirely
        copies = {rule_id: previous.ids.count(rule_id) for rule_id in live}
        changed = {rule_id for rule_id, rule in live.items() if not self._unchanged(rule, wanted.get(rule_id))}
        # delete first only where a PUT cannot overwrite in place, so a failed PUT loses as little as possible
        stale = [
            rule_id
            for rule_id in live
            if copies[rule_id] > 1 or (rule_id in changed and not self._same_topic(live[rule_id], wanted.get(rule_id)))
        ]
        for rule_id in stale:
            for _ in range(copies[rule_id]):
                await self._delete(bucket, f"{QUERY}={quote(rule_id, safe='')}")
        missing = [entry for entry in entries if entry.id not in live or entry.id in changed or entry.id in stale]
        if missing:
            await self._put(bucket, missing)

    def _same_topic(self, live: LiveRule, entry: DocumentEntry | None) -> bool:
        """RGW overwrites an entry of the same Id and topic in place; another topic adds a second entry."""
        rule = entry.rule if isinstance(entry, LiveRule) else entry
        if live.rule is None or rule is None:
            return False
        # the ceph dialect's canonical form reduces a topic ARN to the topic name
        return self._dialect.canonical(live.rule).target == self._dialect.canonical(rule).target

    def _unchanged(self, live: LiveRule, entry: DocumentEntry | None) -> bool:
        if isinstance(entry, LiveRule):
            return entry.raw == live.raw
        if isinstance(entry, S3Rule):
            return live.rule is not None and self._dialect.equivalent(live.rule, entry)
        return False

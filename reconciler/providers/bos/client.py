"""Baidu BOS: GET / PUT / DELETE on `/<bucket>?notification=`.

GET on a bucket without configuration answers with an error (the SDK's own test expects one):
a 404 with a code of its own means "no rules"; NoSuchBucket and a generic NotFound (a gateway,
an injected fault) stay errors, since reading them as empty would let a write drop every rule.
The docs say PUT "adds" rules, so when a write removes rules the document is read back, and if
the server kept them (a merge), it is cleared and written again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from reconciler.model.config import ProviderConfig
from reconciler.model.document import DocumentEntry, LiveDocument
from reconciler.providers.bos import codec
from reconciler.providers.bos.auth import BceAuth
from reconciler.providers.client_base import CLEAR, READ, WRITE, BucketClient
from reconciler.providers.listing import decode_json_listing, in_location

QUERY = "notification="
CONTENT_TYPE = "application/json; charset=utf-8"  # as the PutNotification page writes it
NOT_NO_CONFIGURATION = frozenset({"NoSuchBucket", "NotFound"})  # 404 codes that do not mean "no rules"


class BosClient(BucketClient):
    def __init__(self, provider: ProviderConfig, *, reveal: codec.Reveal = codec.reveal_known, **options: Any) -> None:
        super().__init__(provider, **options)
        self._auth = self._signer()
        self._reveal = reveal

    def _signer(self) -> BceAuth:
        key = self._key.current()
        return BceAuth(key.access_key_id, key.secret_access_key, session_token=key.session_token, clock=self.clock)

    def auth(self, bucket: str) -> httpx.Auth:
        return self._auth if self._key.refresh is None else self._signer()

    async def read_once(self, bucket: str) -> LiveDocument:
        response = await self.request("GET", bucket, QUERY, action=READ)
        if response.is_success:
            return self.decoded(response, bucket, codec.decode)
        error = self.error(response, bucket, READ)
        if response.status_code == 404 and error.code and error.code not in NOT_NO_CONFIGURATION:
            return LiveDocument()
        raise error

    async def write(self, bucket: str, entries: Sequence[DocumentEntry], previous: LiveDocument) -> None:
        if not entries:
            await self.clear(bucket)
            return
        await self._put(bucket, entries)
        wanted = {entry.id for entry in entries}
        removed = {rule_id for rule_id in previous.ids if rule_id is not None and rule_id not in wanted}
        if removed and removed & set((await self.read(bucket)).ids):
            await self.clear(bucket)
            await self._put(bucket, entries)

    async def clear(self, bucket: str) -> None:
        await self.call("DELETE", bucket, QUERY, action=CLEAR)

    async def list_buckets(self) -> list[str]:
        """ListBuckets (one answer: BOS does not page it), the provider's region only."""
        page = self.listing(await self.list_call(), decode_json_listing)
        return in_location(page.buckets, self.provider.region)  # type: ignore[union-attr]

    async def _put(self, bucket: str, entries: Sequence[DocumentEntry]) -> None:
        body = codec.encode(entries, self._reveal)
        await self.call("PUT", bucket, QUERY, action=WRITE, content=body, headers={"Content-Type": CONTENT_TYPE})

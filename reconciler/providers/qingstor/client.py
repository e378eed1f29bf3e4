"""QingStor: GET / PUT (whole document) / DELETE (→ 204) on `/<bucket>?notification`."""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from reconciler.model.document import DocumentEntry, LiveDocument
from reconciler.providers.client_base import CLEAR, READ, WRITE, BucketClient
from reconciler.providers.qingstor import codec
from reconciler.providers.qingstor.auth import QingStorAuth

QUERY = "notification"


class QingStorClient(BucketClient):
    def auth(self, bucket: str) -> httpx.Auth:
        virtual = self.endpoint.virtual_for(bucket)
        key = self._key.current()
        return QingStorAuth(
            key.access_key_id,
            key.secret_access_key,
            bucket=bucket if virtual else None,
            virtual_host=virtual,
            clock=self.clock,
        )

    async def read_once(self, bucket: str) -> LiveDocument:
        response = await self.call("GET", bucket, QUERY, action=READ)
        return self.decoded(response, bucket, codec.decode)

    async def write(self, bucket: str, entries: Sequence[DocumentEntry], previous: LiveDocument) -> None:
        if not entries:
            await self.clear(bucket)
            return
        body = codec.encode(entries)
        await self.call(
            "PUT", bucket, QUERY, action=WRITE, content=body, headers={"Content-Type": "application/json"}
        )

    async def clear(self, bucket: str) -> None:
        await self.call("DELETE", bucket, QUERY, action=CLEAR)

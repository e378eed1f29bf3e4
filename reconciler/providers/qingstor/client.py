"""QingStor: GET / PUT (whole document) / DELETE (→ 204) on `/<bucket>?notification`."""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from reconciler.model.document import DocumentEntry, LiveDocument
from reconciler.providers.client_base import CLEAR, READ, WRITE, BucketClient
from reconciler.providers.listing import QINGSTOR_PAGE, decode_json_listing, in_location, new_buckets
from reconciler.providers.qingstor import codec
from reconciler.providers.qingstor.auth import QingStorAuth

QUERY = "notification"
LIST_URL = "https://qingstor.com/"


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

    async def list_buckets(self) -> list[str]:
        """ListBuckets of the provider's zone (`Location` header), page by page."""
        zone = self.provider.zone  # type: ignore[union-attr]
        url = None if self.provider.endpoint else LIST_URL  # the listing is served by qingstor.com itself
        names: list[str] = []
        listed: set[str] = set()  # every name seen, of any zone
        offset = 0
        while True:
            query = f"limit={QINGSTOR_PAGE}&offset={offset}"
            response = await self.list_call(query, url=url, headers={"Location": zone})
            page = self.listing(response, decode_json_listing)
            fresh = new_buckets(page, listed)
            names += in_location(fresh, zone)
            offset += len(page.buckets)
            last = len(page.buckets) < QINGSTOR_PAGE or (page.total is not None and offset >= page.total)
            # a server that ignores `offset` answers the same page again: stop (a page of other
            # zones' buckets only is new, and does not stop the listing)
            if last or not fresh:
                return names

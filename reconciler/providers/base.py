"""The one interface every provider client implements; the engine knows nothing else of HTTP.

A client is bound to one configured provider (endpoint, credentials, flavor). All methods are
coroutines; a client is an async context manager that closes its pooled connections.

Semantics every implementation guarantees:
- `read` returns the whole live document. A bucket that exists but has no configuration is an
  empty document (BOS answers that case with an error; it is mapped here). A missing bucket raises
  ProviderError with code `NoSuchBucket` / `bucket_not_exists`.
- `write(bucket, entries, previous)` makes the live document equal to `entries`, in that order:
  managed rules are encoded from their models; foreign rules (LiveRule) go back as their raw wire
  form, unchanged. `previous` is the document read just before (needed where the server merges
  instead of replacing, as Ceph does). An empty `entries` clears the document, with each flavor's
  own way (never `DELETE ?notification` on aws/jdcloud/minio).
- `clear(bucket)` removes every rule.
- `list_buckets()` names the buckets the credentials see at the provider's zone or region (for
  bucket selectors; reconciler.providers.listing says how each dialect lists).
Errors are ProviderError subclasses carrying the provider's code, status and request id;
transient failures have already been retried.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from reconciler.model.document import DocumentEntry, LiveDocument


@runtime_checkable
class NotificationClient(Protocol):
    async def read(self, bucket: str) -> LiveDocument: ...

    async def write(
        self, bucket: str, entries: Sequence[DocumentEntry], previous: LiveDocument
    ) -> None: ...

    async def clear(self, bucket: str) -> None: ...

    async def list_buckets(self) -> list[str]: ...

    async def aclose(self) -> None: ...

    async def __aenter__(self) -> NotificationClient: ...

    async def __aexit__(self, *_exc_info: object) -> None: ...

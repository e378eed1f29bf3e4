"""What every dialect's client shares: addressing, signing per request, status and error mapping."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from reconciler.core.address import BucketAddress
from reconciler.errors import ProviderError, ResponseError
from reconciler.model.config import ProviderConfig
from reconciler.model.document import LiveDocument
from reconciler.providers.credentials import AccessKey
from reconciler.providers.endpoints import Endpoint, endpoint_for
from reconciler.providers.error_bodies import MalformedDocument, provider_error, unreadable
from reconciler.providers.http import RetryPolicy, Scrubber, send
from reconciler.providers.listing import LIST, ListingPage
from reconciler.providers.signing import Clock, utc_now

READ, WRITE, CLEAR = (
    "reading the notification rules",
    "writing the notification rules",
    "clearing the notification rules",
)


class _GarbledAnswer(Exception):
    """A read whose body was cut short or garbled: worth reading again; `error` if it stays so."""

    def __init__(self, error: ResponseError) -> None:
        super().__init__(str(error))
        self.error = error


class BucketClient:
    """Base of the dialect clients; subclasses say how to sign and how to read and write."""

    def __init__(
        self,
        provider: ProviderConfig,
        *,
        http: httpx.AsyncClient,
        credentials: AccessKey,
        name: str | None = None,
        endpoint: Endpoint | None = None,
        clock: Clock = utc_now,
        retry: RetryPolicy | None = None,
        scrub: Scrubber | None = None,
    ) -> None:
        self.provider = provider
        self.name = name or provider.name
        self.endpoint = endpoint or endpoint_for(provider)
        self.clock = clock
        self._http = http
        self._key = credentials
        self._retry = retry or RetryPolicy()
        self.scrub = scrub or Scrubber()

    @property
    def access_key(self) -> AccessKey:
        """The key this client signs with (never printed: its repr hides the secret)."""
        return self._key

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, {self.endpoint.scheme}://{self.endpoint.host})"

    def address(self, bucket: str) -> str:
        return str(BucketAddress(self.name, bucket))

    def auth(self, bucket: str) -> httpx.Auth:
        raise NotImplementedError

    async def request(
        self,
        method: str,
        bucket: str,
        query: str,
        *,
        action: str,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """One signed request; any status comes back (transport failures raise TransportError)."""
        request = self._http.build_request(method, self.endpoint.url(bucket, query), content=content, headers=headers)
        return await send(self._http, request, auth=self.auth(bucket), address=self.address(bucket), action=action)

    async def call(
        self,
        method: str,
        bucket: str,
        query: str,
        *,
        action: str,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Like `request`, but anything but a 2xx raises the provider's error."""
        response = await self.request(method, bucket, query, action=action, content=content, headers=headers)
        if not response.is_success:
            raise self.error(response, bucket, action)
        return response

    async def read(self, bucket: str) -> LiveDocument:
        """The bucket's document; a body cut short or garbled is read again, within the retry budget."""
        attempt = 1
        while True:
            try:
                return await self.read_once(bucket)
            except _GarbledAnswer as garbled:
                if attempt >= self._retry.attempts:
                    raise garbled.error from None
            await self._retry.sleep(self._retry.backoff(attempt))
            attempt += 1

    async def read_once(self, bucket: str) -> LiveDocument:
        raise NotImplementedError

    async def list_buckets(self) -> list[str]:
        """Names of the buckets the credentials see at this provider's zone or region."""
        raise NotImplementedError

    def service_auth(self) -> httpx.Auth:
        """How a request that names no bucket (the bucket listing) is signed."""
        return self.auth("")

    async def list_call(
        self, query: str = "", *, url: str | None = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """One signed `GET /` of the bucket listing; anything but a 2xx raises the provider's error."""
        target = url if url is not None else self.endpoint.service_url(query)
        if url is not None and query:
            target = f"{url}?{query}"
        request = self._http.build_request("GET", target, headers=headers)
        response = await send(self._http, request, auth=self.service_auth(), address=self.name, action=LIST)
        if not response.is_success:
            raise self.scrubbed(provider_error(response, address=self.name, action=LIST))
        return response

    def listing(self, response: httpx.Response, decode: Callable[[bytes], ListingPage]) -> ListingPage:
        try:
            return decode(response.content)
        except (MalformedDocument, RecursionError) as exc:
            problem = f"the body {exc}" if isinstance(exc, MalformedDocument) else "the body is nested too deeply"
            raise unreadable(response, address=self.name, action=LIST, problem=problem) from None

    def decoded(self, response: httpx.Response, bucket: str, decode: Callable[[bytes], LiveDocument]) -> LiveDocument:
        try:
            return decode(response.content)
        except (MalformedDocument, RecursionError) as exc:
            transient = isinstance(exc, MalformedDocument) and exc.transient
            problem = f"the body {exc}" if isinstance(exc, MalformedDocument) else "the body is nested too deeply"
            error = unreadable(response, address=self.address(bucket), action=READ, problem=problem)
            raise (_GarbledAnswer(error) if transient else error) from None

    def error(self, response: httpx.Response, bucket: str, action: str) -> ProviderError:
        return self.scrubbed(provider_error(response, address=self.address(bucket), action=action))

    def scrubbed(self, error: ProviderError) -> ProviderError:
        scrubbed = self.scrub(error.message)  # a server may echo a credential back in its message
        if scrubbed != error.message:
            error = type(error)(
                scrubbed, address=error.address, code=error.code, status=error.status, request_id=error.request_id
            )
        return error

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> BucketClient:
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        await self.aclose()

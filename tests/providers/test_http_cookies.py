"""The client consults its cookie jar only for answers that set a cookie (a saving per request);
a cookie that is set is still sent back, as httpx always did."""

from __future__ import annotations

import asyncio

import httpx

from reconciler.providers.http import build_client


def test_a_set_cookie_is_still_sent_back() -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("cookie"))
        return httpx.Response(200, headers={"set-cookie": "route=a; Path=/"} if len(seen) == 1 else {})

    async def three_requests() -> dict[str, str]:
        async with build_client(transport=httpx.MockTransport(handler)) as client:
            for _ in range(3):
                await client.get("http://store.example/bucket?notification")
            return dict(client.cookies)

    assert asyncio.run(three_requests()) == {"route": "a"}
    assert seen == [None, "route=a", "route=a"]

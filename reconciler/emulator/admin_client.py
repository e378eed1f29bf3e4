"""A small synchronous client of the emulator's admin API, for tests, the quickstart and benchmarks.

with EmulatorAdmin("http://127.0.0.1:9000") as admin:
    admin.create_bucket("s3", "photos", flavor="jdcloud")
    admin.set_faults(latency_ms=20)
    ...
    admin.counters()["buckets"]["s3/photos"]["PUT"]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from reconciler.errors import ReconcilerError


class AdminError(ReconcilerError):
    """The admin API refused a call (the message is the server's sentence) or could not be reached."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class EmulatorAdmin:
    def __init__(self, base_url: str, *, timeout: float = 30.0, transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=f"{self.base_url}/_emulator", timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> EmulatorAdmin:
        return self

    def __exit__(self, *_exc_info: object) -> None:
        self.close()

    def _call(self, method: str, path: str, *, json: Any = None, params: Mapping[str, str] | None = None) -> Any:
        try:
            response = self._http.request(method, path, json=json, params=params)
        except httpx.HTTPError as error:
            raise AdminError(f"emulator admin API at {self.base_url} is not reachable: {error}") from None
        if response.status_code >= 400:
            try:
                message = response.json()["error"]
            except (ValueError, KeyError, TypeError):
                message = response.text or response.reason_phrase
            raise AdminError(f"emulator admin {method} {path}: {message}", response.status_code)
        return response.json() if response.content else None

    # --- buckets --------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/health")

    def create_bucket(
        self, dialect: str, name: str, *, flavor: str | None = None, document: Any = None
    ) -> dict[str, Any]:
        return self._call("POST", "/buckets", json=bucket_spec(dialect, name, flavor=flavor, document=document))

    def create_buckets(self, specs: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Create many at once (all or none); each spec as `bucket_spec` builds it."""
        return self._call("POST", "/buckets", json={"buckets": [dict(spec) for spec in specs]})["buckets"]

    def buckets(self) -> list[dict[str, Any]]:
        return self._call("GET", "/buckets")["buckets"]

    def bucket(self, dialect: str, name: str) -> dict[str, Any]:
        return self._call("GET", f"/buckets/{dialect}/{name}")

    def delete_bucket(self, dialect: str, name: str) -> None:
        self._call("DELETE", f"/buckets/{dialect}/{name}")

    def document(self, dialect: str, name: str) -> Any:
        """The stored document in wire form: a JSON object (qingstor, bos) or XML text (s3)."""
        return self._call("GET", f"/buckets/{dialect}/{name}/document")["document"]

    def put_document(self, dialect: str, name: str, document: Any) -> dict[str, Any]:
        """Replace the document directly, as a change made outside the tool would."""
        return self._call("PUT", f"/buckets/{dialect}/{name}/document", json={"document": document})

    # --- counters -------------------------------------------------------------------------------

    def counters(self, dialect: str | None = None, bucket: str | None = None) -> dict[str, Any]:
        return self._call("GET", "/counters", params=_params(dialect=dialect, bucket=bucket))

    def requests(self, dialect: str, bucket: str) -> dict[str, int]:
        """GET/PUT/DELETE counts of one bucket."""
        return self.counters(dialect, bucket)["buckets"][f"{dialect}/{bucket}"]

    def reset_counters(self) -> None:
        self._call("DELETE", "/counters")

    # --- faults ---------------------------------------------------------------------------------

    def faults(self) -> dict[str, Any]:
        return self._call("GET", "/faults")["faults"]

    def set_faults(self, *, bucket: str | None = None, dialect: str | None = None, **spec: Any) -> dict[str, Any]:
        """E.g. `set_faults(latency_ms=20)` or `set_faults(bucket="b", error_rate=1, limit=2)`."""
        return self._call("PUT", "/faults", json=spec, params=_params(bucket=bucket, dialect=dialect))

    def clear_faults(self, *, bucket: str | None = None, dialect: str | None = None) -> None:
        """Clear one bucket's faults, or every fault set when no bucket is named."""
        self._call("DELETE", "/faults", params=_params(bucket=bucket, dialect=dialect))

    def reset(self) -> None:
        """No buckets, counters or faults."""
        self._call("POST", "/reset")


def bucket_spec(dialect: str, name: str, *, flavor: str | None = None, document: Any = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"dialect": dialect, "name": name}
    if flavor is not None:
        spec["flavor"] = flavor
    if document is not None:
        spec["document"] = document
    return spec


def _params(**values: str | None) -> dict[str, str]:
    return {key: value for key, value in values.items() if value is not None}

"""The state in an S3-compatible bucket (`--state s3://BUCKET/KEY`): AWS S3, MinIO, Ceph RGW, JD Cloud.

    KEY          the state document, written with `If-Match: <ETag>` (or `If-None-Match: *` when
                 new): a write that races another writer is refused by the store, never lost
    KEY.lock     the lock record (LockInfo), created with `If-None-Match: *`, deleted on release
    KEY.backup   the previous document, unless the bucket keeps object versions

Conditional writes are the whole safety, so a store that ignores them is refused: the first lock
taken by a process probes it (a second `If-None-Match: *` PUT of the lock, and a PUT with an
`If-Match` that cannot match, must both answer 412). A lock left by a killed run stays until
`force-unlock` removes it: a bucket cannot tell a live holder from a dead one.
"""

from __future__ import annotations

import httpx

from reconciler.errors import StateError
from reconciler.providers.endpoints import Endpoint
from reconciler.providers.error_bodies import provider_error
from reconciler.providers.http import RetryPolicy, build_sync_client, describe_exception
from reconciler.providers.safe_xml import local_name, parse
from reconciler.state.backend import PollingLock, StateStore, Stored
from reconciler.state.lock import (
    LockInfo,
    checked_unlock,
    encode_lock_info,
    parse_lock_info,
)

LOCK_POLL_SECONDS = 0.5
PRECONDITION_FAILED = 412
CONFLICT = 409  # AWS: another conditional write to the same key is in flight
JSON = {"Content-Type": "application/json"}
IMPOSSIBLE_ETAG = '"00000000000000000000000000000000-reconciler-probe"'


class S3State(StateStore):
    def __init__(
        self,
        location: str,
        bucket: str,
        key: str,
        endpoint: Endpoint,
        auth: httpx.Auth,
        *,
        tls_verify: bool = True,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.location = location
        self.where = f"state {location}"
        self.bucket = bucket
        self.key = key
        self._endpoint = endpoint
        self._auth = auth  # AWS Signature V4, wired in by the command layer
        self._tls_verify = tls_verify
        self._transport = transport
        self._retry = retry
        self._http: httpx.Client | None = None
        self._versioned: bool | None = None
        self._probed = False
        self._bare_etags = False

    @property
    def restore_hint(self) -> str:
        """Only what exists: the bucket's object versions, else a `.backup` object; else nothing."""
        try:
            if self._bucket_versioned():
                return (
                    f"restore an earlier version of s3://{self.bucket}/{self.key} (the bucket keeps versions) "
                    "if that holds your last good state"
                )
            response = self._request("HEAD", f"{self.key}.backup", action="looking for the state's backup")
        except StateError:
            return ""
        if not response.is_success:
            return ""
        return f"copy s3://{self.bucket}/{self.key}.backup over it, if that holds your last good state"

    # --- requests ------------------------------------------------------------------------------

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http = build_sync_client(tls_verify=self._tls_verify, transport=self._transport, retry=self._retry)
        return self._http

    def close(self) -> None:
        http, self._http = self._http, None
        if http is not None:
            http.close()

    def _request(
        self,
        method: str,
        key: str | None,
        *,
        action: str,
        query: str = "",
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """One signed request for an object (`key`) or the bucket (None); any status comes back."""
        url = self._endpoint.object_url(self.bucket, key or "", query)
        http = self._client()
        request = http.build_request(method, url, content=content, headers=headers)
        try:
            return http.send(request, auth=self._auth)
        except httpx.RequestError as exc:
            raise StateError(
                f"{self.where}: {action} failed: {describe_exception(exc)} talking to {request.url.host}, "
                "even after retrying"
            ) from None

    def _failed(self, response: httpx.Response, action: str) -> StateError:
        return StateError(provider_error(response, address=self.where, action=action).describe())

    # --- the document --------------------------------------------------------------------------

    def fetch(self) -> Stored | None:
        action = "reading the state"
        response = self._request("GET", self.key, action=action)
        if response.status_code == 404 and provider_error(response, address="", action="").code != "NoSuchBucket":
            return None
        if not response.is_success:
            raise self._failed(response, action)
        return Stored(response.content, response.headers.get("etag", ""))

    def store(self, content: bytes, previous: Stored | None) -> None:
        if previous is not None and not self._bucket_versioned():
            response = self._request(
                "PUT",
                f"{self.key}.backup",
                action="backing up the previous state",
                content=previous.content,
                headers=JSON,
            )
            if not response.is_success:
                raise self._failed(response, "backing up the previous state")
        action = "writing the state"
        if previous is None:
            response = self._put_if(content, {"If-None-Match": "*"}, action)
        else:
            response = self._put_if(content, {"If-Match": self._etag_form(previous.version)}, action)
            if response.status_code == PRECONDITION_FAILED and self._compares_bare_etags(previous.version):
                response = self._put_if(content, {"If-Match": self._etag_form(previous.version)}, action)
        if response.status_code in (PRECONDITION_FAILED, CONFLICT):
            raise StateError(
                f"{self.where} was changed by another writer while this run saved it (the store refused the "
                "conditional write); nothing was overwritten: run again"
            )
        if not response.is_success:
            raise self._failed(response, action)

    def _put_if(self, content: bytes, condition: dict[str, str], action: str) -> httpx.Response:
        return self._request("PUT", self.key, action=action, content=content, headers={**JSON, **condition})

    def _etag_form(self, etag: str) -> str:
        return etag.strip('"') if self._bare_etags else etag

    def _compares_bare_etags(self, etag: str) -> bool:
        """After a 412 for a quoted `If-Match`: does the object still have that ETag? Then this store
        compares If-Match with its ETags unquoted (Ceph RGW before 17 does), and a retry says so."""
        if self._bare_etags or not etag.startswith('"'):
            return False
        action = "reading the state"
        response = self._request("HEAD", self.key, action=action)
        if not response.is_success or response.headers.get("etag") != etag:
            return False
        self._bare_etags = True
        return True

    def _bucket_versioned(self) -> bool:
        """Whether the bucket keeps object versions (then they are the backups); unknown: no."""
        if self._versioned is None:
            response = self._request("GET", None, query="versioning", action="reading the bucket's versioning")
            status = None
            if response.is_success:
                try:
                    root = parse(response.content.decode("utf-8", errors="replace"))
                    status = next((child.text for child in root if local_name(child.tag) == "Status"), None)
                except Exception:  # noqa: BLE001 - any unreadable answer means: keep a .backup object
                    status = None
            self._versioned = status == "Enabled"
        return self._versioned

    # --- the lock ------------------------------------------------------------------------------

    def lock(self, operation: str, timeout: float = 0) -> PollingLock:
        return PollingLock(
            self, operation, timeout, take=self._take_lock, give_back=self.release, interval=LOCK_POLL_SECONDS
        )

    def _take_lock(self, info: LockInfo) -> bool:
        """Create the lock object if there is none; the first time, check conditional writes work."""
        record = encode_lock_info(info)
        if not self.create_lock(record):
            return False
        try:
            self.probe_conditional_writes(record)
        except BaseException:
            self.release(info)
            raise
        return True

    def lock_holder(self) -> LockInfo | None:
        action = "reading the lock record"
        response = self._request("GET", f"{self.key}.lock", action=action)
        if response.status_code == 404:
            return None
        if not response.is_success:
            raise self._failed(response, action)
        return parse_lock_info(response.content)

    def force_unlock(self, lock_id: str) -> LockInfo:
        holder = checked_unlock(self.where, f"s3://{self.bucket}/{self.key}.lock", self.lock_holder(), lock_id)
        self._delete_lock()
        return holder

    def create_lock(self, record: bytes) -> bool:
        """Create the lock object if there is none: True when this call created it."""
        action = "taking the lock"
        response = self._request(
            "PUT", f"{self.key}.lock", action=action, content=record, headers={**JSON, "If-None-Match": "*"}
        )
        if response.status_code in (PRECONDITION_FAILED, CONFLICT):
            return False
        if not response.is_success:
            raise self._failed(response, action)
        return True

    def _delete_lock(self) -> None:
        action = "removing the lock"
        response = self._request("DELETE", f"{self.key}.lock", action=action)
        if not response.is_success and response.status_code != 404:
            raise self._failed(response, action)

    def release(self, info: LockInfo) -> None:
        """Delete the lock object if it is still ours (a force-unlock may have handed it on)."""
        holder = self.lock_holder()
        if holder is not None and holder.ID == info.ID:
            self._delete_lock()

    def probe_conditional_writes(self, record: bytes) -> None:
        """While holding the lock: refuse a store that ignores If-None-Match or If-Match."""
        if self._probed:
            return
        probes = (
            ("If-None-Match", "*", "a second `If-None-Match: *` PUT of the lock object"),
            ("If-Match", IMPOSSIBLE_ETAG, "a PUT of the lock object with an `If-Match` that cannot match"),
        )
        for name, value, what in probes:
            response = self._request(
                "PUT",
                f"{self.key}.lock",
                action="checking that the store honours conditional writes",
                content=record,
                headers={**JSON, name: value},
            )
            if response.status_code in (PRECONDITION_FAILED, CONFLICT):
                continue
            if response.is_success:
                raise StateError(
                    f"the store behind {self.where} ignores conditional writes ({what} answered HTTP "
                    f"{response.status_code} instead of 412), so it cannot keep two writers apart; nothing was "
                    "written: keep the state in a store that supports conditional PUT, or in a local file"
                )
            raise self._failed(response, "checking that the store honours conditional writes")
        self._probed = True

"""The shape every dialect (QingStor, BOS, S3) fills in: signature check, errors, handlers.

The app finds the dialect from the Authorization scheme and then only calls these methods, so
a dialect is one module that is testable without a server.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import datetime
from http import HTTPStatus
from typing import Any, ClassVar

from reconciler.emulator.store import Bucket
from reconciler.emulator.wire import ApiError, Call, Outcome, Reply

FLAVOR_HEADER = "x-emulator-flavor"  # picks the flavor of an s3 bucket created through the API
# the strictest common ground of the providers' naming rules (S3 alone also allows dots)
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")


def camel_code(status: int) -> str:
    """`Service Unavailable` -> `ServiceUnavailable`: the S3 / BCE naming of an HTTP status."""
    return HTTPStatus(status).phrase.title().replace(" ", "").replace("-", "") if _known(status) else f"Error{status}"


def snake_code(status: int) -> str:
    """`Service Unavailable` -> `service_unavailable`: the QingStor naming of an HTTP status."""
    return (
        HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_") if _known(status) else f"error_{status}"
    )


def _known(status: int) -> bool:
    return status in HTTPStatus._value2member_map_


class NotificationApi(ABC):
    dialect: ClassVar[str]
    scheme: ClassVar[str]  # how its Authorization header starts
    request_id_header: ClassVar[str]  # every reply carries the request id under this name

    # --- requests ---------------------------------------------------------------------------

    @abstractmethod
    def authenticate(
        self, call: Call, keys: Mapping[str, str], *, bucket: str, virtual_host: bool, now: datetime
    ) -> None:
        """Raise ApiError unless the call is signed with one of `keys` and is fresh."""

    @abstractmethod
    def handle(self, call: Call, bucket: Bucket) -> Outcome:
        """Serve GET/PUT/DELETE ?notification on an existing bucket."""

    # --- bucket-level requests: PUT / HEAD / DELETE /<bucket> -------------------------------

    create_status: ClassVar[int] = 200
    bucket_deleted_status: ClassVar[int] = 204
    bucket_name_pattern: ClassVar[re.Pattern[str]] = _BUCKET_NAME

    @abstractmethod
    def bucket_exists(self, name: str) -> ApiError:
        """The conflict a create of an existing bucket gets."""

    @abstractmethod
    def invalid_bucket_name(self, name: str) -> ApiError: ...

    def creation_flavor(self, call: Call, default_flavor: str) -> str | None:
        """Check a create-bucket request beyond its name; the new bucket's flavor (s3 only)."""
        if call.header(FLAVOR_HEADER) is not None:
            raise self.invalid_request(f"The {FLAVOR_HEADER} header applies only to s3 buckets.")
        return None

    def bucket_created(self, name: str) -> Reply:
        return Reply(self.create_status)

    def bucket_found(self) -> Reply:
        return Reply(200)

    # --- documents (also what the admin API shows and accepts) ----------------------------

    @abstractmethod
    def document(self, bucket: Bucket) -> Reply:
        """The GET ?notification answer for the bucket's current rules."""

    @abstractmethod
    def admin_view(self, bucket: Bucket) -> Any:
        """The document as the admin API shows it (JSON-able)."""

    @abstractmethod
    def admin_rules(self, document: Any, flavor: str | None) -> tuple[Any, ...]:
        """Rules from an admin-supplied document, checked for shape only (out-of-band writes)."""

    # --- errors -----------------------------------------------------------------------------

    @abstractmethod
    def render_error(self, error: ApiError, call: Call, bucket: str | None, flavor: str | None = None) -> Reply:
        """The error in the dialect's own format; `flavor` is the bucket's, when it exists."""

    @abstractmethod
    def no_such_bucket(self, name: str) -> ApiError: ...

    @abstractmethod
    def error_code(self, status: int) -> str:
        """The dialect's code for a bare HTTP status (used by injected faults)."""

    def method_not_allowed(self, method: str) -> ApiError:
        return ApiError(
            405, self.error_code(405), f"The specified method {method} is not allowed against this resource."
        )

    def invalid_request(self, message: str) -> ApiError:
        return ApiError(400, self.error_code(400), message)

    def not_implemented(self, message: str) -> ApiError:
        return ApiError(501, self.error_code(501), message)

    def injected(self, status: int) -> ApiError:
        return ApiError(status, self.error_code(status), "Injected fault: the emulator was told to fail this request.")

    def throttled(self, retry_after: int) -> ApiError:
        return ApiError(
            429,
            self.error_code(429),
            "Injected fault: please reduce your request rate.",
            headers=(("Retry-After", str(retry_after)),),
        )

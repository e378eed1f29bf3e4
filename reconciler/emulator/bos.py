"""The Baidu BOS dialect (providers.md §2): `bce-auth-v1` signatures, camelCase JSON errors.

PUT 200 replaces the document, DELETE 200 clears it, GET 200 returns it — and GET on a bucket
with no rules answers 404 `NoSuchNotification`, an error that is not `NoSuchBucket` (the real
code is undocumented; the official SDK only shows that GET after DELETE fails). As BCE's
common errors prescribe, keys the API does not define are ignored by validation and kept:
they come back on GET exactly as sent. A missing field or a wrong type is 400
InappropriateJSON; a well-typed but unacceptable value is 400 InvalidArgument.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from reconciler.emulator import json_fields as fields
from reconciler.emulator.api import camel_code
from reconciler.emulator.documented import (
    BOS_EVENT_URL_SCHEMES,
    BOS_EVENTS,
    BOS_FULL_RULE,
    BOS_RESOURCE_MAX_WILDCARDS,
    BOS_STATUSES,
)
from reconciler.emulator.json_dialect import JSON, JsonNotificationApi, json_body
from reconciler.emulator.json_fields import FieldError
from reconciler.emulator.store import Bucket
from reconciler.emulator.wire import ApiError, Call, Reply
from reconciler.providers.bos.auth import canonical_request, signing_key
from reconciler.providers.signing import hmac_sha256

MAX_FUTURE_SKEW = timedelta(minutes=15)
_CODES = {400: "InvalidArgument", 403: "AccessDenied", 500: "InternalError"}
_AUTH_FORMAT = "bce-auth-v1/{accessKeyId}/{timestamp}/{expirationPeriodInSeconds}/{signedHeaders}/{signature}"


class BosApi(JsonNotificationApi):
    dialect = "bos"
    scheme = "bce-auth-v1/"
    request_id_header = "x-bce-request-id"

    def authenticate(
        self, call: Call, keys: Mapping[str, str], *, bucket: str, virtual_host: bool, now: datetime
    ) -> None:
        parts = (call.header("authorization") or "").split("/")
        if len(parts) != 6:
            raise _bad_auth_header()
        _, access_key, timestamp, expiration, signed_headers, signature = parts
        try:
            issued = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            lifetime = timedelta(seconds=int(expiration))
        except ValueError:
            raise _bad_auth_header() from None
        secret = keys.get(access_key)
        if secret is None:
            raise ApiError(403, "InvalidAccessKeyId", "The Access Key ID you provided does not exist in our records.")
        if now > issued + lifetime or issued > now + MAX_FUTURE_SKEW or lifetime.total_seconds() <= 0:
            raise ApiError(400, "RequestExpired", f"Request has expired. Timestamp date is {timestamp}.")
        canonical = canonical_request(
            call.method, call.raw_path, call.query, call.headers, signed_headers.split(";") if signed_headers else None
        )
        expected = hmac_sha256(signing_key(secret, "/".join(parts[:4])), canonical).hex()
        if not hmac.compare_digest(expected, signature):
            raise ApiError(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. "
                "Check your Secret Access Key and signing method.",
                reason=f"SignatureDoesNotMatch; canonical request was {canonical!r}",
            )

    def document(self, bucket: Bucket) -> Reply:
        if not bucket.rules:
            raise ApiError(404, "NoSuchNotification", "The bucket has no notification configuration.")
        return super().document(bucket)

    def checked_rule(self, item: Any, path: str) -> dict[str, Any]:
        source = fields.obj(item, path)
        fields.text(source, "id", path)
        fields.text(source, "name", path, required=False)
        fields.text(source, "appId", path)
        fields.choose(fields.text(source, "status", path) or "", BOS_STATUSES, f"{path}.status")
        # "If the request is only used for configuring notification or callback keys, its
        # parameters can be simplified": then resources, events and apps are all left out
        if any(source.get(name) is not None for name in BOS_FULL_RULE):
            _check_full_rule(source, path)
        if source.get("encryption") is not None:
            fields.text(
                fields.obj(source["encryption"], f"{path}.encryption"), "key", f"{path}.encryption", required=False
            )
        return dict(source)

    def field_error(self, error: FieldError) -> ApiError:
        if error.shape:
            return ApiError(
                400,
                "InappropriateJSON",
                f"The JSON you provided was well-formed and valid, but not appropriate: {error}",
            )
        return ApiError(400, "InvalidArgument", f"Invalid argument: {error}")

    def malformed_json(self, detail: str) -> ApiError:
        return ApiError(400, "MalformedJSON", f"The JSON you provided was not well-formed. {detail}")

    def render_error(self, error: ApiError, call: Call, bucket: str | None, flavor: str | None = None) -> Reply:
        body = {"code": error.code, "message": error.message, "requestId": call.request_id}
        return Reply(error.status, json_body(body), JSON, error.headers)

    def no_such_bucket(self, name: str) -> ApiError:
        return ApiError(404, "NoSuchBucket", "The specified bucket does not exist.")

    def error_code(self, status: int) -> str:
        return _CODES.get(status) or camel_code(status)

    def bucket_exists(self, name: str) -> ApiError:
        return ApiError(409, "BucketAlreadyExists", f"The bucket {name!r} already exists.")

    def invalid_bucket_name(self, name: str) -> ApiError:
        return ApiError(
            400,
            "InvalidBucketName",
            f"The specified bucket name {name!r} is not valid: 3 to 63 lower-case letters, digits and '-', "
            "starting and ending with a letter or digit.",
        )

    def creation_flavor(self, call: Call, default_flavor: str) -> str | None:
        # the SDK's optional body is {"enableMultiAz": true}; only its shape is checked
        if call.body.strip():
            try:
                fields.obj(json.loads(call.body), "body")
            except (ValueError, UnicodeDecodeError) as error:
                raise self.malformed_json(f"The request body is not valid JSON: {error}") from None
            except FieldError as error:
                raise self.field_error(error) from None
        return super().creation_flavor(call, default_flavor)


def _bad_auth_header() -> ApiError:
    return ApiError(400, "InvalidHTTPAuthHeader", f"The HTTP authorization header is invalid: expected {_AUTH_FORMAT}.")


def _check_full_rule(source: dict[str, Any], path: str) -> None:
    for index, resource in enumerate(fields.texts(source, "resources", path) or []):
        if resource.count("*") > BOS_RESOURCE_MAX_WILDCARDS:
            raise FieldError(f"{path}.resources[{index}]", f"{resource!r} has more than one '*'", shape=False)
    fields.texts(source, "events", path, choices=BOS_EVENTS)
    apps = source.get("apps")
    if not isinstance(apps, list) or not apps:
        raise FieldError(f"{path}.apps", "must be a non-empty list of apps", shape=True)
    for index, app in enumerate(apps):
        _check_app(app, f"{path}.apps[{index}]")


def _check_app(app: Any, path: str) -> None:
    source = fields.obj(app, path)
    fields.text(source, "id", path)
    url = fields.text(source, "eventUrl", path) or ""
    scheme = urlsplit(url).scheme
    if scheme not in BOS_EVENT_URL_SCHEMES:
        raise FieldError(
            f"{path}.eventUrl", f"{url!r} must start with one of {', '.join(BOS_EVENT_URL_SCHEMES)}:", shape=False
        )
    fields.text(source, "xVars", path, required=False)

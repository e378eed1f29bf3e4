"""The QingStor dialect (providers.md §1): `QS` signatures, snake_case JSON errors.

PUT 200 replaces the document, GET 200 returns it (`{"notifications": []}` when empty), DELETE
204 clears it. Rules are validated like the API spec (required `id`, `event_types`,
`cloudfunc`; enums; `cloudfunc_args.action` for image); rule keys the spec does not define are
dropped; `cloudfunc_args` are "custom parameters provided to cloudfunc" and kept as sent, with
image's defaults (`key_prefix` "gen", `key_seprate` "_") filled in, so a read-back may carry
fields that were not sent.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from reconciler.emulator import json_fields as fields
from reconciler.emulator.api import snake_code
from reconciler.emulator.documented import (
    QINGSTOR_CLOUDFUNCS,
    QINGSTOR_EVENT_TYPES,
    QINGSTOR_IMAGE_ARGS,
    QINGSTOR_IMAGE_ARGS_REQUIRED,
)
from reconciler.emulator.json_dialect import JSON, JsonNotificationApi, json_body
from reconciler.emulator.json_fields import FieldError
from reconciler.emulator.wire import ApiError, Call, Reply
from reconciler.providers.qingstor.auth import sign, string_to_sign

MAX_SKEW = timedelta(minutes=15)
ERROR_DOCS = "https://docsv4.qingcloud.com/user_guide/storage/object_storage/api/error_code/"
_CODES = {400: "invalid_request", 403: "permission_denied", 500: "internal_server_error"}


class QingStorApi(JsonNotificationApi):
    dialect = "qingstor"
    scheme = "QS "
    request_id_header = "X-QS-Request-ID"
    delete_status = 204
    create_status = 201

    def authenticate(
        self, call: Call, keys: Mapping[str, str], *, bucket: str, virtual_host: bool, now: datetime
    ) -> None:
        access_key, _, signature = (call.header("authorization") or "")[len(self.scheme) :].strip().partition(":")
        if not access_key or not signature:
            raise ApiError(400, "invalid_request", "The Authorization header must be 'QS <access_key_id>:<signature>'.")
        secret = keys.get(access_key)
        if secret is None:
            raise ApiError(401, "invalid_access_key_id", f"The access key id {access_key!r} does not exist.")
        date_text = call.header("x-qs-date") or call.header("date")
        try:
            when = parsedate_to_datetime(date_text or "")
        except (TypeError, ValueError):
            raise ApiError(
                400, "invalid_request", "The request needs a Date or X-QS-Date header in RFC 1123 format."
            ) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        if abs(now - when) > MAX_SKEW:
            raise ApiError(
                403, "request_expired", f"The request date {date_text} is more than 15 minutes away from server time."
            )
        text = string_to_sign(
            call.method, call.raw_path, call.query, call.headers, bucket=bucket, virtual_host=virtual_host
        )
        if not hmac.compare_digest(sign(secret, text), signature):
            raise ApiError(
                401,
                "signature_not_matched",
                "The signature you provided does not match the one calculated by the server.",
                reason=f"signature_not_matched; string to sign was {text!r}",
            )

    def checked_rule(self, item: Any, path: str) -> dict[str, Any]:
        source = fields.obj(item, path)
        rule: dict[str, Any] = {
            "id": fields.text(source, "id", path),
            "event_types": fields.texts(source, "event_types", path, choices=QINGSTOR_EVENT_TYPES),
        }
        filters = fields.texts(source, "object_filters", path, required=False, lone_string=True)
        if filters is not None:
            rule["object_filters"] = filters
        rule["cloudfunc"] = fields.choose(
            fields.text(source, "cloudfunc", path) or "", QINGSTOR_CLOUDFUNCS, f"{path}.cloudfunc"
        )
        if source.get("cloudfunc_args") is not None:
            args = source["cloudfunc_args"]
            rule["cloudfunc_args"] = _cloudfunc_args(args, rule["cloudfunc"], f"{path}.cloudfunc_args")
        notify_url = fields.text(source, "notify_url", path, required=False)
        if notify_url is not None:
            parts = urlsplit(notify_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise FieldError(f"{path}.notify_url", f"{notify_url!r} is not an http(s) URL", shape=False)
            rule["notify_url"] = notify_url
        return rule

    def field_error(self, error: FieldError) -> ApiError:
        return ApiError(400, "invalid_argument", f"Invalid argument: {error}")

    def malformed_json(self, detail: str) -> ApiError:
        return ApiError(400, "invalid_request", detail)

    def render_error(self, error: ApiError, call: Call, bucket: str | None, flavor: str | None = None) -> Reply:
        body = {"code": error.code, "message": error.message, "request_id": call.request_id, "url": ERROR_DOCS}
        return Reply(error.status, json_body(body), JSON, error.headers)

    def no_such_bucket(self, name: str) -> ApiError:
        return ApiError(404, "bucket_not_exists", f"The bucket {name!r} does not exist.")

    def error_code(self, status: int) -> str:
        return _CODES.get(status) or snake_code(status)

    def bucket_exists(self, name: str) -> ApiError:
        return ApiError(409, "bucket_already_exists", f"The bucket {name!r} already exists.")

    def invalid_bucket_name(self, name: str) -> ApiError:
        return ApiError(
            400,
            "invalid_bucket_name",
            f"The bucket name {name!r} is invalid: 3 to 63 lower-case letters, digits and '-', "
            "starting and ending with a letter or digit.",
        )


def _cloudfunc_args(value: Any, cloudfunc: str, path: str) -> dict[str, Any]:
    """ "Custom parameters provided to cloudfunc": kept as sent. For image, its documented keys are
    checked and its defaults filled in (UNDOCUMENTED: whether the server echoes the defaults)."""
    source = dict(fields.obj(value, path))
    if cloudfunc != "image":
        return source
    for name, default in QINGSTOR_IMAGE_ARGS.items():
        given = fields.text(source, name, path, required=name in QINGSTOR_IMAGE_ARGS_REQUIRED)
        if given is not None or default is not None:
            source[name] = given if given is not None else default
    return source

"""The S3 dialect: SigV4 verification, S3 XML errors, and dispatch to the bucket's flavor.

Any region in the credential scope is accepted (the signature is checked with the region the
client names), so providers of different regions can share one emulator.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from reconciler.emulator.api import FLAVOR_HEADER, NotificationApi, camel_code
from reconciler.emulator.s3_flavors import FLAVORS, Flavor
from reconciler.emulator.s3_wire import (
    error_document,
    parse_configuration,
    parse_location_constraint,
    render_configuration,
)
from reconciler.emulator.store import S3_FLAVORS, Bucket
from reconciler.emulator.wire import ApiError, Call, Outcome, Reply
from reconciler.providers.s3.auth import ALGORITHM, canonical_request, signing_key, string_to_sign
from reconciler.providers.signing import hmac_sha256

MAX_SKEW = timedelta(minutes=15)
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
XML = "application/xml"
_CODES = {400: "InvalidRequest", 403: "AccessDenied", 429: "SlowDown", 500: "InternalError"}


def _malformed_header(detail: str) -> ApiError:
    return ApiError(400, "AuthorizationHeaderMalformed", f"The authorization header is malformed; {detail}")


def parse_authorization(value: str) -> tuple[str, list[str], str]:
    """(credential, signed header names, signature) of an `AWS4-HMAC-SHA256 …` header value."""
    fields = {}
    for part in value[len(ALGORITHM) :].split(","):
        name, _, text = part.strip().partition("=")
        fields[name] = text
    missing = [name for name in ("Credential", "SignedHeaders", "Signature") if not fields.get(name)]
    if missing:
        raise _malformed_header(f"it lacks {', '.join(missing)}.")
    return fields["Credential"], fields["SignedHeaders"].split(";"), fields["Signature"]


class S3Api(NotificationApi):
    dialect = "s3"
    scheme = ALGORITHM
    request_id_header = "x-amz-request-id"
    bucket_name_pattern = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")

    def __init__(self, region: str) -> None:
        self.region = region
        self.flavors: dict[str, Flavor] = {name: flavor(region) for name, flavor in FLAVORS.items()}

    def authenticate(
        self, call: Call, keys: Mapping[str, str], *, bucket: str, virtual_host: bool, now: datetime
    ) -> None:
        credential, signed_headers, signature = parse_authorization(call.header("authorization") or "")
        scope_parts = credential.split("/")
        if len(scope_parts) != 5 or scope_parts[4] != "aws4_request":
            raise _malformed_header("the Credential must be <key>/<date>/<region>/<service>/aws4_request.")
        access_key, date, region, service, _ = scope_parts
        if service != "s3":
            raise _malformed_header(f"the Credential should be scoped to service 's3', not '{service}'.")
        secret = keys.get(access_key)
        if secret is None:
            raise ApiError(
                403,
                "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.",
                details={"AWSAccessKeyId": access_key},
            )
        amz_date = call.header("x-amz-date") or ""
        try:
            request_time = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            raise ApiError(
                403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header"
            ) from None
        if date != amz_date[:8]:
            raise _malformed_header("Invalid credential date. Date is not the same as X-Amz-Date.")
        if abs(now - request_time) > MAX_SKEW:
            raise ApiError(
                403,
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
                details={
                    "RequestTime": amz_date,
                    "ServerTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "MaxAllowedSkewMilliseconds": str(int(MAX_SKEW.total_seconds() * 1000)),
                },
            )
        payload_hash = self._checked_payload_hash(call)
        scope = "/".join(scope_parts[1:])
        try:
            canonical = canonical_request(
                call.method, call.raw_path, call.query, call.headers, signed_headers, payload_hash
            )
        except ValueError as error:
            raise ApiError(403, "SignatureDoesNotMatch", f"A signed header is missing: {error}") from None
        text = string_to_sign(amz_date, scope, canonical)
        expected = hmac_sha256(signing_key(secret, date, region, service), text).hex()
        if not hmac.compare_digest(expected, signature):
            raise ApiError(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. "
                "Check your key and signing method.",
                details={
                    "AWSAccessKeyId": access_key,
                    "StringToSign": text,
                    "SignatureProvided": signature,
                    "CanonicalRequest": canonical,
                },
            )

    @staticmethod
    def _checked_payload_hash(call: Call) -> str:
        claimed = call.header("x-amz-content-sha256")
        if not claimed:
            raise ApiError(400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
        if claimed != UNSIGNED_PAYLOAD:
            computed = hashlib.sha256(call.body).hexdigest()
            if claimed != computed:
                raise ApiError(
                    400,
                    "XAmzContentSHA256Mismatch",
                    "The provided 'x-amz-content-sha256' header does not match what was computed.",
                    details={"ClientComputedContentSHA256": claimed, "S3ComputedContentSHA256": computed},
                )
        return claimed

    def handle(self, call: Call, bucket: Bucket) -> Outcome:
        flavor = self.flavors[bucket.flavor or "aws"]
        selector = call.query.get("notification", "")
        if call.method == "GET":
            return Outcome(self._reply(flavor, flavor.shown(bucket.rules, selector)))
        if call.method == "PUT":
            return Outcome(Reply(200), flavor.put(parse_configuration(call.body), bucket.rules))
        if call.method == "DELETE":
            rules = flavor.delete(selector, bucket.rules)
            if rules is not None:
                return Outcome(Reply(200), rules)
        raise ApiError(
            405,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
            details={"Method": call.method, "ResourceType": "NOTIFICATION"},
        )

    @staticmethod
    def _reply(flavor: Flavor, entries: list) -> Reply:
        return Reply(200, render_configuration(entries, flavor.rendering), XML)

    def document(self, bucket: Bucket) -> Reply:
        flavor = self.flavors[bucket.flavor or "aws"]
        return self._reply(flavor, flavor.shown(bucket.rules, ""))

    def admin_view(self, bucket: Bucket) -> str:
        return self.document(bucket).body.decode("utf-8")

    def admin_rules(self, document: object, flavor: str | None) -> tuple:
        if not isinstance(document, str):
            raise ValueError("an s3 document is the NotificationConfiguration XML text")
        try:
            parsed = parse_configuration(document.encode("utf-8"))
        except ApiError as error:
            raise ValueError(error.reason) from None
        entries = [entry.stored() for entry in parsed.entries]
        if any(entry["target"] is None for entry in entries):
            raise ValueError("every configuration needs its Topic, Queue or CloudFunction element")
        return tuple(entries) + (({"kind": "event_bridge"},) if parsed.event_bridge else ())

    def render_error(self, error: ApiError, call: Call, bucket: str | None, flavor: str | None = None) -> Reply:
        quiet = flavor is not None and self.flavors[flavor].quiet_errors
        details = ({"BucketName": bucket} if bucket else {}) | error.details
        body = error_document(error.code, "" if quiet else error.message, details, call.request_id)
        return Reply(error.status, body, XML, error.headers)

    def no_such_bucket(self, name: str) -> ApiError:
        return ApiError(404, "NoSuchBucket", "The specified bucket does not exist")

    def error_code(self, status: int) -> str:
        return _CODES.get(status) or camel_code(status)

    def bucket_exists(self, name: str) -> ApiError:
        return ApiError(
            409,
            "BucketAlreadyOwnedByYou",
            "Your previous request to create the named bucket succeeded and you already own it.",
        )

    def invalid_bucket_name(self, name: str) -> ApiError:
        return ApiError(
            400,
            "InvalidBucketName",
            "The specified bucket is not valid: 3 to 63 lower-case letters, digits, '.' and '-', "
            "starting and ending with a letter or digit.",
        )

    def creation_flavor(self, call: Call, default_flavor: str) -> str | None:
        constraint = parse_location_constraint(call.body)
        credential, _, _ = parse_authorization(call.header("authorization") or "")
        region = credential.split("/")[2]  # authenticate() has checked the scope's shape
        if constraint is not None and constraint != region:
            raise ApiError(
                400,
                "IllegalLocationConstraintException",
                f"The {constraint} location constraint is incompatible for the region specific endpoint "
                f"this request was sent to ({region}).",
            )
        flavor = call.header(FLAVOR_HEADER) or default_flavor
        if flavor not in S3_FLAVORS:
            raise ApiError(
                400,
                "InvalidArgument",
                f"The {FLAVOR_HEADER} header {flavor!r} is not one of {', '.join(S3_FLAVORS)}.",
                details={"ArgumentName": FLAVOR_HEADER, "ArgumentValue": flavor},
            )
        return flavor

    def bucket_created(self, name: str) -> Reply:
        return Reply(200, headers=(("Location", f"/{name}"),))

    def bucket_found(self) -> Reply:
        return Reply(200, headers=(("x-amz-bucket-region", self.region),))

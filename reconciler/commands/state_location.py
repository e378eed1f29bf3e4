"""`--state` / RECONCILER_STATE: which StateStore a location names.

    state/reconciler.state.json                      a local file (the default; anything without a scheme)
    s3://BUCKET/KEY[?endpoint=URL&region=R&addressing=path|virtual&tls_verify=false]
    postgresql://USER@HOST:PORT/DB[?state=NAME&<libpq parameters>]   (postgres:// too)

S3: endpoint from `endpoint=` or AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (default AWS S3 in the
region), region from `region=` or AWS_REGION / AWS_DEFAULT_REGION (default us-east-1), credentials from
RECONCILER_STATE_ACCESS_KEY_ID / RECONCILER_STATE_SECRET_ACCESS_KEY (/ RECONCILER_STATE_SESSION_TOKEN)
when set, so the state bucket's keys can differ from an s3 provider's, else as for an s3 provider
(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN).
PostgreSQL: `state=` names the row (default "default"); a password in the location is refused,
libpq reads it from PGPASSWORD or ~/.pgpass, so it is never printed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import ValidationError

from reconciler.errors import CredentialError, ReconcilerError, StateError
from reconciler.model.common import EnvRef
from reconciler.model.config import Credentials, S3Provider
from reconciler.providers.credentials import resolve_credentials
from reconciler.providers.endpoints import endpoint_for
from reconciler.providers.s3.auth import SigV4Auth
from reconciler.state.backend import StateStore
from reconciler.state.store import LocalState

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
S3_OPTIONS = ("endpoint", "region", "addressing", "tls_verify")
STATE_CREDENTIALS = {
    "access_key_id": "RECONCILER_STATE_ACCESS_KEY_ID",
    "secret_access_key": "RECONCILER_STATE_SECRET_ACCESS_KEY",
    "session_token": "RECONCILER_STATE_SESSION_TOKEN",
}
DEFAULT_POSTGRES_STATE = "default"


def open_state(location: str, environ: Mapping[str, str]) -> StateStore:
    """The store `location` names; StateError for a location that cannot be one, before any I/O."""
    location = location.strip()
    if not location:
        raise StateError("the state location is empty; give a file path, s3://BUCKET/KEY or postgresql://…")
    scheme = _SCHEME.match(location)
    if scheme is None or len(scheme.group(1)) == 1:  # `C:\…` is a Windows drive, not a scheme
        return _local(location)
    name = scheme.group(1).lower()
    if name == "s3":
        return _s3(location, environ)
    if name in ("postgresql", "postgres"):
        return _postgres(location, environ)
    if name == "file":
        return _local(location[len("file:") :].removeprefix("//"))
    raise StateError(
        f"state location {location!r} has an unknown scheme {name!r}: give a file path, s3://BUCKET/KEY or "
        "postgresql://USER@HOST/DB"
    )


def _local(path_text: str) -> LocalState:
    """A missing file (or directory) is a new, empty state, as in Terraform: readers never create
    it, the first writer creates its directory."""
    path = Path(path_text)
    if path.is_dir():
        raise StateError(
            f"state path {path} is a directory; give the state file's path, e.g. {path / 'reconciler.state.json'}"
        )
    return LocalState(path)


def _s3(location: str, environ: Mapping[str, str]) -> StateStore:
    from reconciler.state.s3 import S3State  # httpx and the signer, only when asked for

    parts = urlsplit(location)
    bucket, key = parts.netloc, parts.path.lstrip("/")
    if not location.lower().startswith("s3://") or not bucket or not key or key.endswith("/") or parts.fragment:
        raise StateError(
            f"state location {location!r} is not s3://BUCKET/KEY (e.g. s3://my-states/prod/reconciler.json)"
        )
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = sorted(set(options) - set(S3_OPTIONS))
    if unknown:
        raise StateError(
            f"state location {location!r}: unknown option {', '.join(unknown)} (known: {', '.join(S3_OPTIONS)})"
        )
    endpoint = options.get("endpoint") or environ.get("AWS_ENDPOINT_URL_S3") or environ.get("AWS_ENDPOINT_URL")
    region = options.get("region") or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    tls_verify = options.get("tls_verify", "true").lower()
    if tls_verify not in ("true", "false"):
        raise StateError(f"state location {location!r}: tls_verify must be true or false, not {tls_verify!r}")
    references = {name: EnvRef(env=variable) for name, variable in STATE_CREDENTIALS.items() if environ.get(variable)}
    if references and not {"access_key_id", "secret_access_key"} <= references.keys():
        raise StateError(
            "set both RECONCILER_STATE_ACCESS_KEY_ID and RECONCILER_STATE_SECRET_ACCESS_KEY for the state bucket, "
            "or neither (then AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are used)"
        )
    try:
        provider = S3Provider(
            name=f"state {location}",
            flavor="minio" if endpoint else "aws",  # a custom endpoint: path style unless told
            region=region,
            endpoint=endpoint,
            addressing=options.get("addressing") or None,
            tls_verify=tls_verify == "true",
            credentials=Credentials(**references) if references else None,
        )
    except ValidationError as exc:
        problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise StateError(f"state location {location!r}: {problem}") from None
    try:
        credentials = resolve_credentials(provider, environ)
    except CredentialError as exc:
        raise StateError(f"cannot use {location}: {exc}") from None
    try:
        endpoint = endpoint_for(provider)
    except ReconcilerError as exc:  # an endpoint that is not a URL
        raise StateError(str(exc)) from None
    auth = SigV4Auth(
        credentials.access_key_id,
        credentials.secret_access_key,
        region=provider.region,
        session_token=credentials.session_token,
    )
    return S3State(location, bucket, key, endpoint, auth, tls_verify=provider.tls_verify)


def _postgres(location: str, environ: Mapping[str, str]) -> StateStore:
    from psycopg.conninfo import conninfo_to_dict

    from reconciler.state.postgres import PostgresState  # psycopg, only when asked for

    parts = urlsplit(location)
    if parts.password is not None or "password" in {k.lower() for k, _ in parse_qsl(parts.query)}:
        raise StateError(
            "the postgresql:// state location holds a password: remove it and set PGPASSWORD or use ~/.pgpass "
            "(a location is printed in messages; a password must never be)"
        )
    query = parse_qsl(parts.query, keep_blank_values=True)
    names = [value for key, value in query if key == "state"]
    name = names[-1] if names else DEFAULT_POSTGRES_STATE
    if not name:
        raise StateError(f"state location {location!r}: `state=` names the state and cannot be empty")
    conninfo = urlunsplit(parts._replace(query=urlencode([(k, v) for k, v in query if k != "state"])))
    try:
        conninfo_to_dict(conninfo)
    except Exception as exc:  # noqa: BLE001 - psycopg.ProgrammingError and friends: a malformed URL
        raise StateError(f"state location {location!r} is not a PostgreSQL URL: {exc}") from None
    return PostgresState(location, conninfo, name, password=environ.get("PGPASSWORD") or None)

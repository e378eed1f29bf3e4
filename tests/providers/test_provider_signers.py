"""Every signature vector of reference/providers.md and reference/peers.md, reproduced exactly."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from reconciler.providers.bos import auth as bos
from reconciler.providers.qingstor import auth as qs
from reconciler.providers.s3 import auth as sigv4

pytestmark = pytest.mark.unit

VECTORS = Path(__file__).parent / "fixtures" / "vectors"


def load(name: str) -> list[dict]:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))

QS_OFFICIAL = load("qingstor_official.json")
QS_PEERS = load("qingstor_sdk_python.json")
BOS_OFFICIAL = load("bos_official.json")
BOS_PEERS = load("bos_sdk_python.json")
SIGV4 = load("sigv4_official.json") + load("sigv4_botocore.json")


def _ids(vectors):
    return [v["name"].split(" ")[0] for v in vectors]


def _split(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    return parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))


def _frozen(text: str):
    moment = datetime.strptime(text, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)
    return lambda: moment


# --- QingStor -------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", QS_OFFICIAL, ids=_ids(QS_OFFICIAL))
def test_qingstor_official_vectors(vector):
    text = qs.string_to_sign(
        vector["method"],
        vector["path"],
        vector["query"],
        vector["headers"],
        bucket=vector.get("bucket"),
        virtual_host=vector.get("virtual_host", False),
    )
    if "string_to_sign" in vector:
        assert text == vector["string_to_sign"]
    assert qs.sign(vector["secret_access_key"], text) == vector["signature"]


@pytest.mark.parametrize("vector", QS_PEERS, ids=_ids(QS_PEERS))
def test_qingstor_sdk_wire_vectors(vector):
    path, query = _split(vector["url"])
    virtual = vector["headers"]["Host"].startswith("mybucket.")
    headers = {k: v for k, v in vector["headers"].items() if k != "Authorization"}
    text = qs.string_to_sign(vector["method"], path, query, headers, bucket="mybucket", virtual_host=virtual)
    assert text == vector["string_to_sign"]
    assert f"QS {vector['access_key_id']}:{qs.sign(vector['secret_access_key'], text)}" == vector["authorization"]


@pytest.mark.parametrize("vector", QS_PEERS, ids=_ids(QS_PEERS))
def test_qingstor_auth_signs_an_httpx_request_like_the_sdk(vector):
    virtual = vector["headers"]["Host"].startswith("mybucket.")
    auth = qs.QingStorAuth(
        vector["access_key_id"],
        vector["secret_access_key"],
        bucket="mybucket" if virtual else None,
        virtual_host=virtual,
        clock=_frozen(vector["headers"]["Date"]),
    )
    body = (vector["body"] or "").encode()
    request = httpx.Request(
        vector["method"], vector["url"], headers={"Content-Type": vector["headers"]["Content-Type"]}, content=body
    )
    signed = next(auth.auth_flow(request))
    assert signed.headers["Date"] == vector["headers"]["Date"]
    assert signed.headers["Authorization"] == vector["authorization"]


def test_qingstor_virtual_host_needs_the_bucket():
    with pytest.raises(ValueError):
        qs.QingStorAuth("ak", "sk", virtual_host=True)


# --- BOS ------------------------------------------------------------------------------------


def _bce_time(vector) -> datetime:
    text = vector.get("x-bce-date") or vector["timestamp"]
    if isinstance(vector.get("timestamp"), int):
        return datetime.fromtimestamp(vector["timestamp"], UTC)
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@pytest.mark.parametrize("vector", BOS_OFFICIAL + BOS_PEERS, ids=_ids(BOS_OFFICIAL + BOS_PEERS))
def test_bce_vectors(vector):
    moment = _bce_time(vector)
    prefix = bos.auth_prefix(vector["access_key_id"], moment, vector["expiration_in_seconds"])
    if "signing_key" in vector:
        assert bos.signing_key(vector["secret_access_key"], prefix) == vector["signing_key"]
    if "canonical_request" in vector:
        canonical = bos.canonical_request(
            vector["method"], vector["path"], vector["params"], vector["headers"], vector["headers_to_sign"]
        )
        assert canonical == vector["canonical_request"]
    value = bos.authorization(
        vector["access_key_id"],
        vector["secret_access_key"],
        vector["method"],
        vector["path"],
        vector["params"],
        vector["headers"],
        moment,
        vector["expiration_in_seconds"],
        vector["headers_to_sign"],
    )
    assert value == vector["authorization"]


def test_bce_auth_signs_an_httpx_request_like_the_sdk():
    vector = next(v for v in BOS_PEERS if v["name"].startswith("BOS-2"))
    moment = _bce_time(vector)
    auth = bos.BceAuth(vector["access_key_id"], vector["secret_access_key"], clock=lambda: moment)
    request = httpx.Request("PUT", "https://mybucket.bj.bcebos.com/?notification=", content=vector["body"].encode())
    signed = next(auth.auth_flow(request))
    assert signed.headers["x-bce-date"] == vector["x-bce-date"]
    assert signed.headers["Authorization"] == vector["authorization"]


# --- SigV4 ----------------------------------------------------------------------------------


def _amz_time(vector) -> datetime:
    return datetime.strptime(vector["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def _signed_names(vector) -> list[str]:
    field = vector["authorization"].split("SignedHeaders=")[1].split(",")[0]
    return field.split(";")


@pytest.mark.parametrize("vector", SIGV4, ids=_ids(SIGV4))
def test_sigv4_vectors(vector):
    path, query = _split(vector["url"])
    headers = {k: v for k, v in vector["headers"].items() if k.lower() != "authorization"}
    hashed = sigv4.payload_hash(vector["body"].encode())
    names = _signed_names(vector)
    canonical = sigv4.canonical_request(vector["method"], path, query, headers, names, hashed)
    assert canonical == vector["canonical_request"]
    scope = sigv4.credential_scope(vector["x-amz-date"][:8], vector["region"], vector["service"])
    text = sigv4.string_to_sign(vector["x-amz-date"], scope, canonical)
    if "string_to_sign" in vector:
        assert text == vector["string_to_sign"]
    value = sigv4.authorization(
        vector["access_key_id"],
        vector["secret_access_key"],
        vector["method"],
        path,
        query,
        headers,
        timestamp=_amz_time(vector),
        region=vector["region"],
        service=vector["service"],
        payload_hash=hashed,
        signed_headers=names,
    )
    assert value == vector["authorization"]


@pytest.mark.parametrize("vector", SIGV4, ids=_ids(SIGV4))
def test_sigv4_auth_signs_an_httpx_request_like_botocore(vector):
    moment = _amz_time(vector)
    auth = sigv4.SigV4Auth(
        vector["access_key_id"], vector["secret_access_key"], region=vector["region"], clock=lambda: moment
    )
    extra = {k: v for k, v in vector["headers"].items() if k.lower() == "content-type"}
    request = httpx.Request(vector["method"], vector["url"], headers=extra, content=vector["body"].encode())
    signed = next(auth.auth_flow(request))
    assert signed.headers["x-amz-content-sha256"] == sigv4.payload_hash(vector["body"].encode())
    assert signed.headers["Authorization"] == vector["authorization"]


def test_sigv4_signing_key_derivation_matches_the_chain():
    key = sigv4.signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20250101", "cn-north-1", "s3")
    assert isinstance(key, bytes) and len(key) == 32


def test_sigv4_session_token_is_sent_and_signed():
    moment = datetime(2025, 1, 1, tzinfo=UTC)
    auth = sigv4.SigV4Auth("AK", "SK", region="us-east-1", session_token="TOKEN", clock=lambda: moment)
    signed = next(auth.auth_flow(httpx.Request("GET", "http://127.0.0.1:9000/b?notification")))
    assert signed.headers["x-amz-security-token"] == "TOKEN"
    assert "x-amz-security-token" in signed.headers["Authorization"].split("SignedHeaders=")[1]


def test_sigv4_canonical_query_keeps_the_equals_sign():
    assert sigv4.canonical_query({"notification": ""}) == "notification="
    assert sigv4.canonical_query({"notification": "a b"}) == "notification=a%20b"


def test_signers_never_show_their_secret():
    for auth in (
        qs.QingStorAuth("AK", "TOPSECRET"),
        bos.BceAuth("AK", "TOPSECRET"),
        sigv4.SigV4Auth("AK", "TOPSECRET", region="us-east-1"),
    ):
        assert "TOPSECRET" not in repr(auth)


def test_bce_auth_with_an_sts_token_signs_it_like_the_sdk():
    """BCE_SESSION_TOKEN: sent as x-bce-security-token and signed with the x-bce-* headers, as the
    SDK's client does before calling bce_v1_signer.sign."""
    from baidubce.auth import bce_v1_signer
    from baidubce.auth.bce_credentials import BceCredentials

    moment = datetime(2025, 1, 1, tzinfo=UTC)
    auth = bos.BceAuth("ak", "sk", session_token="sts-token", clock=lambda: moment)
    request = httpx.Request("GET", "https://mybucket.bj.bcebos.com/?notification=")
    signed = next(auth.auth_flow(request))
    assert signed.headers["x-bce-security-token"] == "sts-token"
    headers = {k.encode(): v.encode() for k, v in signed.headers.items() if k.lower() != "authorization"}
    expected = bce_v1_signer.sign(
        BceCredentials("ak", "sk"), b"GET", b"/", headers, {b"notification": b""}, int(moment.timestamp()), 1800
    )
    assert signed.headers["Authorization"] == expected.decode()
    assert "x-bce-security-token" not in repr(auth) and "sts-token" not in repr(auth)

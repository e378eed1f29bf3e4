"""Endpoints, addressing and credentials: resolved before any request, with clear errors."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from reconciler.errors import CredentialError, ReconcilerError
from reconciler.model.common import EnvRef, FileRef
from reconciler.model.config import BosProvider, Credentials, QingStorProvider, S3Provider
from reconciler.providers.credentials import resolve_credentials
from reconciler.providers.endpoints import endpoint_for
from reconciler.providers.registry import client_for

QS = QingStorProvider(name="qs", zone="PEK3B")
BOS = BosProvider(name="bj", region="bj")


@pytest.mark.parametrize(
    ("provider", "url"),
    [
        (QS, "https://pek3b.qingstor.com/photos?notification"),
        (BOS, "https://photos.bj.bcebos.com/?notification"),
        (S3Provider(name="a", region="eu-west-1"), "https://photos.s3.eu-west-1.amazonaws.com/?notification"),
        (S3Provider(name="a", region="cn-north-1"), "https://photos.s3.cn-north-1.amazonaws.com.cn/?notification"),
        (
            S3Provider(name="j", flavor="jdcloud", region="cn-east-2"),
            "https://photos.s3.cn-east-2.jdcloud-oss.com/?notification",
        ),
        (
            S3Provider(name="m", flavor="minio", endpoint="http://127.0.0.1:9000"),
            "http://127.0.0.1:9000/photos?notification",
        ),
        (
            S3Provider(name="c", flavor="ceph", endpoint="https://rgw.example.com/"),
            "https://rgw.example.com/photos?notification",
        ),
        (
            S3Provider(name="c", flavor="ceph", endpoint="rgw.example.com:8443"),
            "https://rgw.example.com:8443/photos?notification",
        ),
        (S3Provider(name="a", endpoint="http://localhost:4566"), "http://localhost:4566/photos?notification"),
        (S3Provider(name="a", endpoint="http://[::1]:4566"), "http://[::1]:4566/photos?notification"),
        (
            S3Provider(name="a", endpoint="https://s3.example.com/gateway"),
            "https://photos.s3.example.com/gateway/?notification",
        ),
        (BOS.model_copy(update={"addressing": "path"}), "https://bj.bcebos.com/photos?notification"),
        (QS.model_copy(update={"addressing": "virtual"}), "https://photos.pek3b.qingstor.com/?notification"),
        (QS.model_copy(update={"endpoint": "http://127.0.0.1:9000"}), "http://127.0.0.1:9000/photos?notification"),
    ],
)
def test_endpoints_and_addressing(provider, url):
    assert endpoint_for(provider).url("photos", "notification") == url


def test_buckets_that_cannot_be_host_names_go_path_style():
    endpoint = endpoint_for(BOS)
    assert endpoint.url("my.photos", "notification") == "https://bj.bcebos.com/my.photos?notification"
    assert endpoint.url("My_Photos", "notification") == "https://bj.bcebos.com/My_Photos?notification"
    plain = endpoint_for(BOS.model_copy(update={"endpoint": "http://bos.internal"}))
    assert plain.url("my.photos", "notification") == "http://my.photos.bos.internal/?notification"


@pytest.mark.parametrize("flavor", ["minio", "ceph"])
def test_minio_and_ceph_need_an_endpoint(flavor):
    with pytest.raises(ReconcilerError, match=f"provider 'x' \\(s3 flavor {flavor}\\) needs an `endpoint`"):
        endpoint_for(S3Provider(name="x", flavor=flavor))


@pytest.mark.parametrize("endpoint", ["ftp://files.example.com", "https://", "http://bad host"])
def test_unusable_endpoints_are_rejected(endpoint):
    with pytest.raises(ReconcilerError, match="provider 'x'"):
        endpoint_for(S3Provider(name="x", flavor="minio", endpoint=endpoint))


# --- credentials ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "environ", "expected"),
    [
        (QS, {"QINGSTOR_ACCESS_KEY_ID": "a", "QINGSTOR_SECRET_ACCESS_KEY": "sk-value"}, ("a", "sk-value", None)),
        (QS, {"QY_ACCESS_KEY_ID": "a", "QY_SECRET_ACCESS_KEY": "sk-value"}, ("a", "sk-value", None)),
        (BOS, {"BCE_ACCESS_KEY_ID": "a", "BCE_SECRET_ACCESS_KEY": "sk-value"}, ("a", "sk-value", None)),
        (
            S3Provider(name="a"),
            {"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "sk-value"},
            ("a", "sk-value", None),
        ),
        (
            S3Provider(name="a"),
            {"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "sk-value", "AWS_SESSION_TOKEN": "t"},
            ("a", "sk-value", "t"),
        ),
    ],
)
def test_default_environment_variables(provider, environ, expected):
    key = resolve_credentials(provider, environ)
    assert (key.access_key_id, key.secret_access_key, key.session_token) == expected
    assert expected[1] not in repr(key)


def test_explicit_references_win(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-file\n")
    provider = S3Provider(
        name="jd",
        flavor="jdcloud",
        credentials=Credentials(access_key_id=EnvRef(env="JD_AK"), secret_access_key=FileRef(file=str(secret_file))),
    )
    key = resolve_credentials(provider, {"JD_AK": "jd-ak", "AWS_ACCESS_KEY_ID": "ignored"})
    assert (key.access_key_id, key.secret_access_key) == ("jd-ak", "from-file")


@pytest.mark.parametrize(
    ("provider", "message"),
    [
        (QS, "provider 'qs' has no access_key_id: set QINGSTOR_ACCESS_KEY_ID or QY_ACCESS_KEY_ID"),
        (BOS, "provider 'bj' has no access_key_id: set BCE_ACCESS_KEY_ID"),
        (S3Provider(name="aws"), "provider 'aws' has no access_key_id: set AWS_ACCESS_KEY_ID"),
    ],
)
def test_missing_credentials_name_provider_and_variable(provider, message):
    with pytest.raises(CredentialError, match=message):
        resolve_credentials(provider, {})


def test_missing_secret_is_named_too():
    with pytest.raises(CredentialError, match="has no secret_access_key: set BCE_SECRET_ACCESS_KEY"):
        resolve_credentials(BOS, {"BCE_ACCESS_KEY_ID": "a"})


def test_unset_referenced_variable_is_named():
    provider = QS.model_copy(update={"credentials": Credentials(access_key_id=EnvRef(env="MY_QS_AK"))})
    with pytest.raises(CredentialError, match=r"access_key_id of provider 'qs'.*MY_QS_AK"):
        resolve_credentials(provider, {"QY_SECRET_ACCESS_KEY": "s"})


def test_credentials_fail_before_any_request():
    def never(request):
        raise AssertionError("no request may be sent without credentials")

    with pytest.raises(CredentialError):
        client_for(S3Provider(name="aws"), environ={}, transport=httpx.MockTransport(never))


def test_client_for_reads_the_process_environment_by_default(monkeypatch):
    monkeypatch.setenv("BCE_ACCESS_KEY_ID", "a")
    monkeypatch.setenv("BCE_SECRET_ACCESS_KEY", "s")
    asyncio.run(client_for(BOS).aclose())


@pytest.mark.parametrize("provider", [S3Provider(name="aws"), BOS, QS])
def test_a_refreshing_key_is_read_again_for_every_request(provider):
    """Keys from assume-role, SSO or metadata expire: each request signs with the current one."""
    from reconciler.providers.credentials import AccessKey

    issued: list[str] = []

    def refresh() -> AccessKey:
        issued.append(f"KEY{len(issued)}")
        return AccessKey(issued[-1], "secret", "token")

    seen: list[str] = []

    def server(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(200, json={"notifications": []}, headers={"Content-Type": "application/json"})

    key = AccessKey("KEY-FIRST", "secret", "token", refresh=refresh)

    async def two_reads() -> None:
        async with client_for(provider, credentials=key, transport=httpx.MockTransport(server)) as client:
            for _ in range(2):
                await client.request("GET", "photos", "notification", action="reading")

    asyncio.run(two_reads())
    assert [next(k for k in issued if k in header) for header in seen] == issued[-2:]


def test_only_a_long_lived_key_names_the_account_of_a_bucket_identity():
    """A temporary key (session token, or refreshed: assume-role, SSO, metadata) has a new id at
    every issue: recorded as the bucket's account, every run would look like another account."""
    from reconciler.providers.credentials import AccessKey
    from reconciler.providers.identity import provider_identities

    provider = S3Provider(name="aws")
    keys = {
        "static": AccessKey("AKIASTATIC", "s"),
        "sts": AccessKey("ASIATEMP", "s", "token"),
        "refreshing": AccessKey("ASIAREFRESH", "s", refresh=lambda: AccessKey("ASIANEXT", "s", "t")),
    }
    accounts = {name: provider_identities([provider], {}, {"aws": key})["aws"].account for name, key in keys.items()}
    assert accounts == {"static": "AKIASTATIC", "sts": None, "refreshing": None}


def test_secrets_of_a_refreshed_key_are_scrubbed_from_the_log_too():
    import io
    import logging

    from reconciler.providers.credentials import AccessKey
    from reconciler.providers.http import enable_debug_log, log

    def refresh() -> AccessKey:
        return AccessKey("ASIANEXT", "refreshed-secret-value", "refreshed-token-value")

    def echo(request: httpx.Request) -> httpx.Response:  # a server that echoes what it should not
        return httpx.Response(403, text="refreshed-secret-value refreshed-token-value")

    stream = io.StringIO()
    enable_debug_log(stream)
    try:
        key = AccessKey("ASIAFIRST", "first-secret-value", "first-token", refresh=refresh)

        async def read() -> None:
            async with client_for(S3Provider(name="aws"), credentials=key, transport=httpx.MockTransport(echo)) as c:
                await c.request("GET", "photos", "notification", action="reading")

        asyncio.run(read())
    finally:
        for handler in list(log.handlers):
            log.removeHandler(handler)
        log.setLevel(logging.NOTSET)
    logged = stream.getvalue()
    assert "403" in logged
    assert "refreshed-secret-value" not in logged and "refreshed-token-value" not in logged

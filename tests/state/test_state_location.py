"""Which store a `--state` location names, and how an S3 location finds its endpoint, region and keys
(no request is made: opening a store does no I/O)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from reconciler.commands.state_location import open_state
from reconciler.errors import StateError
from reconciler.state.postgres import PostgresState
from reconciler.state.s3 import S3State
from reconciler.state.store import LocalState

KEYS = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "aws-secret-never-shown"}


def url_of(store: S3State, key: str | None = None) -> str:
    return store._endpoint.object_url(store.bucket, key if key is not None else store.key)


def test_paths_and_file_urls_are_the_local_state_file(tmp_path: Path) -> None:
    store = open_state(str(tmp_path / "s.json"), {})
    assert isinstance(store, LocalState) and store.path == tmp_path / "s.json"
    assert isinstance(open_state(f"file://{tmp_path}/s.json", {}), LocalState)
    with pytest.raises(StateError, match="is a directory"):
        open_state(str(tmp_path), {})


def test_an_s3_location_defaults_to_aws_virtual_host_addressing() -> None:
    store = open_state("s3://team-states/notifications/prod.json", {**KEYS, "AWS_REGION": "eu-west-1"})
    assert isinstance(store, S3State)
    assert url_of(store) == "https://team-states.s3.eu-west-1.amazonaws.com/notifications/prod.json"
    assert store._auth.region == "eu-west-1"


def test_an_s3_location_with_an_endpoint_uses_path_style_unless_told() -> None:
    env = {**KEYS, "AWS_ENDPOINT_URL": "https://minio.example.com:9000"}
    store = open_state("s3://states/prod.json", env)
    assert url_of(store) == "https://minio.example.com:9000/states/prod.json"
    store = open_state("s3://states/prod.json?addressing=virtual&endpoint=https://oss.example.com", env)
    assert url_of(store) == "https://states.oss.example.com/prod.json"
    assert open_state("s3://states/prod.json", {**env, "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9"})._endpoint.host == (
        "127.0.0.1:9"
    )


def test_the_state_bucket_can_have_its_own_keys() -> None:
    env = {**KEYS, "RECONCILER_STATE_ACCESS_KEY_ID": "STATEKEY", "RECONCILER_STATE_SECRET_ACCESS_KEY": "state-secret"}
    store = open_state("s3://states/prod.json", env)
    request = httpx.Request("GET", url_of(store))
    signed = next(store._auth.auth_flow(request))
    assert "Credential=STATEKEY/" in signed.headers["Authorization"]
    with pytest.raises(StateError, match="set both RECONCILER_STATE_ACCESS_KEY_ID and RECONCILER_STATE_SECRET"):
        open_state("s3://states/prod.json", {**KEYS, "RECONCILER_STATE_ACCESS_KEY_ID": "STATEKEY"})


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("s3:/states/prod.json", "is not s3://BUCKET/KEY"),
        ("s3://states", "is not s3://BUCKET/KEY"),
        ("s3://states/dir/", "is not s3://BUCKET/KEY"),
        ("s3://states/prod.json?tls_verify=maybe", "tls_verify must be true or false"),
        ("s3://states/prod.json?addressing=sideways", "addressing"),
        ("s3://states/prod.json?endpoint=ftp://x", "must be an http:// or https:// URL"),
        ("gs://states/prod.json", "unknown scheme 'gs'"),
        ("", "the state location is empty"),
    ],
)
def test_locations_that_cannot_be_a_state_are_refused_before_any_request(location: str, message: str) -> None:
    with pytest.raises(StateError, match=message):
        open_state(location, KEYS)


def test_an_s3_location_without_keys_names_the_variables() -> None:
    with pytest.raises(StateError, match="AWS_ACCESS_KEY_ID"):
        open_state("s3://states/prod.json", {})


def test_a_postgresql_location_names_its_state_row_and_never_holds_a_password() -> None:
    store = open_state("postgresql://ops@db.example.com:5433/infra?state=prod&sslmode=require", {})
    assert isinstance(store, PostgresState) and store.name == "prod"
    assert "state=" not in store._conninfo and "sslmode=require" in store._conninfo
    assert open_state("postgres://ops@db/infra", {}).name == "default"  # type: ignore[attr-defined]
    for location in ("postgresql://ops:s3cret@db/infra", "postgresql://ops@db/infra?password=s3cret"):
        with pytest.raises(StateError) as refused:
            open_state(location, {})
        assert "PGPASSWORD" in str(refused.value) and "s3cret" not in str(refused.value)
    with pytest.raises(StateError, match="`state=` names the state"):
        open_state("postgresql://ops@db/infra?state=", {})

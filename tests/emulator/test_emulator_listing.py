"""`GET /`: each dialect's bucket listing, through the official SDKs and the tool's own clients."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from qingstor.sdk.config import Config as QingStorConfig
from qingstor.sdk.service.qingstor import QingStor

from reconciler.model.config import BosProvider, QingStorProvider, S3Provider
from reconciler.providers.registry import client_for
from tests.support.emulator import RunningEmulator
from tests.support.sdk_clients import bos_client

NAMES = {"qingstor": ["qa", "qb", "qc"], "bos": ["ba", "bb"], "s3": ["sa", "sb", "sc", "sd"]}


@pytest.fixture
def listed(emulator: RunningEmulator) -> RunningEmulator:
    emulator.admin.create_buckets(
        {"dialect": dialect, "name": name} for dialect, names in NAMES.items() for name in names
    )
    return emulator


def _qingstor(emulator: RunningEmulator) -> QingStor:
    config = QingStorConfig(emulator.access_key, emulator.secret_key)
    config.protocol, config.port, config.connection_retries, config.host = "http", emulator.port, 0, "127.0.0.1"
    return QingStor(config)


def test_qingstor_sdk_lists_buckets_of_its_dialect_page_by_page(listed: RunningEmulator) -> None:
    service = _qingstor(listed)
    whole = service.list_buckets()
    assert whole.status_code == 200
    assert whole["count"] == 3 and [b["name"] for b in whole["buckets"]] == NAMES["qingstor"]
    page = service.list_buckets(limit="2", offset="1")  # the SDK quotes them as text
    assert page["count"] == 3 and [b["name"] for b in page["buckets"]] == ["qb", "qc"]
    refused = service.list_buckets(limit="0")
    assert refused.status_code == 400 and refused["code"] == "invalid_request"


def test_bos_sdk_lists_buckets_of_its_dialect(listed: RunningEmulator) -> None:
    response = bos_client(listed).list_buckets()
    assert [bucket.name for bucket in response.buckets] == NAMES["bos"]
    assert response.owner.id == "emulator"


def test_boto3_lists_buckets_whole_and_in_pages(listed: RunningEmulator) -> None:
    client = listed.boto3_client()
    assert [b["Name"] for b in client.list_buckets()["Buckets"]] == NAMES["s3"]
    first = client.list_buckets(MaxBuckets=3)
    assert [b["Name"] for b in first["Buckets"]] == ["sa", "sb", "sc"]
    rest = client.list_buckets(MaxBuckets=3, ContinuationToken=first["ContinuationToken"])
    assert [b["Name"] for b in rest["Buckets"]] == ["sd"] and "ContinuationToken" not in rest
    assert [b["Name"] for b in client.list_buckets(Prefix="sb")["Buckets"]] == ["sb"]


def test_a_wrong_secret_is_refused_for_the_listing_too(listed: RunningEmulator) -> None:
    config = QingStorConfig(listed.access_key, "wrong")
    config.protocol, config.port, config.connection_retries, config.host = "http", listed.port, 0, "127.0.0.1"
    assert QingStor(config).list_buckets().status_code == 401


def _providers(emulator: RunningEmulator) -> list[Any]:
    endpoint = emulator.url
    return [
        QingStorProvider(name="qs", zone="pek3b", endpoint=endpoint),
        BosProvider(name="bj", region="bj", endpoint=endpoint),
        S3Provider(name="aw", flavor="aws", region=emulator.region, endpoint=endpoint),
        S3Provider(name="jd", flavor="jdcloud", region=emulator.region, endpoint=endpoint),
    ]


@pytest.mark.parametrize("index", range(4), ids=["qingstor", "bos", "s3-aws", "s3-jdcloud"])
def test_the_tools_clients_list_every_bucket(listed: RunningEmulator, index: int) -> None:
    provider = _providers(listed)[index]

    async def names() -> list[str]:
        async with client_for(provider, environ=listed.env()) as client:
            return await client.list_buckets()

    assert asyncio.run(names()) == NAMES[provider.type]


def test_the_qingstor_client_follows_pages(listed: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    from reconciler.providers.qingstor import client as qingstor_client

    monkeypatch.setattr(qingstor_client, "QINGSTOR_PAGE", 2)
    provider = _providers(listed)[0]

    async def names() -> list[str]:
        async with client_for(provider, environ=listed.env()) as client:
            return await client.list_buckets()

    assert asyncio.run(names()) == NAMES["qingstor"]
    assert sum(1 for _ in listed.admin.buckets()) == 9

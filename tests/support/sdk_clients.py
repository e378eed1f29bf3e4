"""The official QingStor and BOS SDK clients pointed at a running emulator (boto3: `boto3_client`)."""

from __future__ import annotations

from typing import Any

from baidubce.auth.bce_credentials import BceCredentials
from baidubce.bce_client_configuration import BceClientConfiguration
from baidubce.retry.retry_policy import NoRetryPolicy
from baidubce.services.bos.bos_client import BosClient
from qingstor.sdk.config import Config as QingStorConfig
from qingstor.sdk.service.qingstor import QingStor

from tests.support.emulator import RunningEmulator


def qingstor_bucket(emulator: RunningEmulator, name: str, *, secret: str | None = None, vhost: bool = False) -> Any:
    config = QingStorConfig(emulator.access_key, secret or emulator.secret_key)
    config.protocol, config.port, config.connection_retries = "http", emulator.port, 0
    config.host = "qs.localhost" if vhost else "127.0.0.1"
    config.enable_virtual_host_style = vhost
    return QingStor(config).Bucket(name, "")  # zone "" or the SDK dials <zone>.<host>


def bos_client(emulator: RunningEmulator, *, secret: str | None = None) -> BosClient:
    credentials = BceCredentials(emulator.access_key, secret or emulator.secret_key)
    return BosClient(
        BceClientConfiguration(credentials=credentials, endpoint=emulator.url, retry_policy=NoRetryPolicy())
    )

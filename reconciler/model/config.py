"""The validated configuration: providers and the buckets whose notification rules we manage.

Built by `reconciler.config` from one or more files after schema and provider-rule checks, so
code downstream may rely on every invariant documented here.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import Field

from reconciler.core.address import BucketAddress
from reconciler.model.bos import BosRule
from reconciler.model.common import EnvRef, FileRef, Frozen
from reconciler.model.qingstor import QingStorRule
from reconciler.model.s3 import S3Rule

# release: forget the owned rules in the state, keep them live (nothing is written)
Ownership = Literal["shared", "exclusive", "observe", "release"]
Addressing = Literal["path", "virtual"]


class Credentials(Frozen):
    """References only; literal secrets are rejected by validation before this model is built."""

    access_key_id: EnvRef | FileRef | None = None
    secret_access_key: EnvRef | FileRef | None = None
    session_token: EnvRef | FileRef | None = None  # s3 only (BOS reads BCE_SESSION_TOKEN)


class ProviderTimeout(Frozen):
    """Seconds; None: the command line's value, else the default (10 connect, 30 read, 60 request)."""

    connect: float | None = Field(None, gt=0)  # to open a connection
    read: float | None = Field(None, gt=0)  # between two bytes of an answer
    request: float | None = Field(None, gt=0)  # the whole request, retries included


class _Provider(Frozen):
    name: str  # the key under `providers:`
    endpoint: str | None = None  # overrides the default endpoint derived from zone/region
    addressing: Addressing | None = None  # None: the provider's usual style
    tls_verify: bool = True
    credentials: Credentials | None = None  # None: the ecosystem's usual environment variables
    timeout: ProviderTimeout | None = None


class QingStorProvider(_Provider):
    type: Literal["qingstor"] = "qingstor"
    zone: str


class BosProvider(_Provider):
    type: Literal["bos"] = "bos"
    region: str


class S3Provider(_Provider):
    type: Literal["s3"] = "s3"
    flavor: Literal["aws", "jdcloud", "minio", "ceph"] = "aws"
    region: str = "us-east-1"
    skip_destination_validation: bool = False  # aws: send x-amz-skip-destination-validation
    profile: str | None = None  # an AWS profile (botocore's chain) instead of the AWS_* variables


ProviderConfig = Annotated[QingStorProvider | BosProvider | S3Provider, Field(discriminator="type")]


class SourceLocation(Frozen):
    """Where something was declared: for messages that name file and line."""

    file: str
    line: int | None = None  # 1-based; None when finding it would mean parsing the file again (JSON)
    column: int | None = None  # 1-based


class BucketConfig(Frozen):
    provider: str
    bucket: str
    ownership: Ownership = "shared"
    adopt: tuple[str, ...] = ()  # ids of declared rules that may take over a live foreign rule of that id
    # rules of the provider's dialect, in file order (order matters on jdcloud)
    notifications: tuple[QingStorRule, ...] | tuple[BosRule, ...] | tuple[S3Rule, ...] = ()
    source: SourceLocation | None = None

    @property
    def address(self) -> str:
        return str(BucketAddress(self.provider, self.bucket))


class Selection(Frozen):
    """A bucket selector of the configuration and the buckets it was resolved to at plan time.

    `selector` is the selector as written (`{include: [...], exclude: [...]}`); `key` finds the same
    selector again in a saved plan, where the resolved list is kept (apply never widens it).
    """

    provider: str
    entry: str  # file:line of the bucket entry that holds the selector
    selector: dict[str, Any]
    buckets: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return selection_key(self.provider, self.selector)


def selection_key(provider: str, selector: dict[str, Any]) -> str:
    return f"{provider}:{json.dumps(selector, sort_keys=True, separators=(',', ':'))}"


class Configuration(Frozen):
    version: Literal[1] = 1
    providers: dict[str, ProviderConfig]
    buckets: tuple[BucketConfig, ...] = ()
    selections: tuple[Selection, ...] = ()  # selectors, as resolved (empty lists when loaded offline)
    # addresses (`p/b` or `p/b/rule`) released from management: forgotten in the state, kept live
    released: tuple[str, ...] = ()

    def bucket(self, address: str) -> BucketConfig | None:
        for entry in self.buckets:
            if entry.address == address:
                return entry
        return None

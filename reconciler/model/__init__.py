"""Frozen pydantic models of the domain: rules per dialect, live documents, configuration."""

from reconciler.model.bos import BosApp, BosEncryption, BosRule
from reconciler.model.common import EnvRef, FileRef, Frozen, SecretRef, SecretValue
from reconciler.model.config import (
    BosProvider,
    BucketConfig,
    Configuration,
    Credentials,
    ProviderConfig,
    QingStorProvider,
    S3Provider,
    SourceLocation,
)
from reconciler.model.document import DocumentEntry, LiveDocument, LiveRule, Rule
from reconciler.model.qingstor import CloudfuncArgs, QingStorRule
from reconciler.model.s3 import FilterRule, S3Filter, S3Rule

__all__ = [
    "BosApp",
    "BosEncryption",
    "BosProvider",
    "BosRule",
    "BucketConfig",
    "CloudfuncArgs",
    "Configuration",
    "Credentials",
    "DocumentEntry",
    "EnvRef",
    "FileRef",
    "FilterRule",
    "Frozen",
    "LiveDocument",
    "LiveRule",
    "ProviderConfig",
    "QingStorProvider",
    "QingStorRule",
    "Rule",
    "S3Filter",
    "S3Provider",
    "S3Rule",
    "SecretRef",
    "SecretValue",
    "SourceLocation",
]

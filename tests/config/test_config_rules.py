"""Provider rules beyond the schema: S3 overlap semantics, URLs, and secret resolution."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.config import load_configuration, resolve_rule_secrets
from reconciler.config.rules import is_http_url
from reconciler.errors import ConfigError, CredentialError
from reconciler.model import BosRule, EnvRef, FileRef, SecretValue

pytestmark = pytest.mark.unit

EXAMPLES = Path(__file__).parents[2] / "examples"


def _two_rules(tmp_path: Path, flavor: str, first: dict[str, Any], second: dict[str, Any]) -> list[str]:
    """Diagnostics for a bucket with two queue rules (JSON config: exact shapes, no YAML surprises)."""
    target = "arn:aws:sqs:us-east-1:123456789012:q" if flavor == "aws" else "arn:minio:sqs::primary:webhook"
    rules = [{"id": f"r{i}", "type": "queue", "target": target, **rule} for i, rule in enumerate((first, second))]
    document = {
        "version": 1,
        "providers": {"s": {"type": "s3", "flavor": flavor, "endpoint": "http://127.0.0.1:9000"}},
        "buckets": [{"provider": "s", "bucket": "b", "notifications": rules}],
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    try:
        load_configuration([str(path)])
    except ConfigError as error:
        return [d.message for d in error.diagnostics]
    return []


def _rule(events: list[str], prefix: str | None = None, suffix: str | None = None) -> dict[str, Any]:
    key_filter = {k: v for k, v in (("prefix", prefix), ("suffix", suffix)) if v is not None}
    return {"events": events, **({"filter": key_filter} if key_filter else {})}


CREATED_ALL, CREATED_PUT = "s3:ObjectCreated:*", "s3:ObjectCreated:Put"


@pytest.mark.parametrize(
    ("first", "second", "shared"),
    [
        (_rule([CREATED_ALL]), _rule([CREATED_PUT], prefix="a/"), CREATED_PUT),  # no filter matches everything
        (_rule([CREATED_PUT], prefix="images/"), _rule([CREATED_PUT], prefix="images/thumbs/"), CREATED_PUT),
        (
            _rule([CREATED_PUT], prefix="a/", suffix=".jpg"),
            _rule([CREATED_PUT], prefix="a/", suffix="jpg"),
            CREATED_PUT,
        ),
        (_rule(["s3:ObjectRestore:Completed"]), _rule(["s3:ObjectRestore:*"]), "s3:ObjectRestore:Completed"),
        (_rule([CREATED_PUT], suffix=".jpg"), _rule([CREATED_PUT], prefix="x/"), CREATED_PUT),
        (_rule([CREATED_ALL], prefix=""), _rule([CREATED_ALL], prefix="x/"), CREATED_ALL),
    ],
)
def test_aws_overlap_is_reported(tmp_path: Path, first: dict[str, Any], second: dict[str, Any], shared: str) -> None:
    assert _two_rules(tmp_path, "aws", first, second) == [
        (
            f"overlaps rule 'r0': both receive {shared} for keys matching both filters, which AWS rejects (see "
            f"{tmp_path / 'config.json'}:1:{_column_of_first_rule(tmp_path)})"
        )
    ]


def _column_of_first_rule(tmp_path: Path) -> int:
    return (tmp_path / "config.json").read_text(encoding="utf-8").index('{"id": "r0"') + 1


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (_rule([CREATED_PUT], prefix="images/"), _rule([CREATED_PUT], prefix="videos/")),
        (_rule([CREATED_PUT], suffix=".jpg"), _rule([CREATED_PUT], suffix=".png")),
        (_rule([CREATED_PUT]), _rule(["s3:ObjectCreated:Post"])),
        (_rule(["s3:ObjectRemoved:*"]), _rule([CREATED_ALL])),
        (_rule(["s3:ObjectCreated:Copy"], prefix="a"), _rule(["s3:ObjectCreated:CompleteMultipartUpload"], prefix="a")),
    ],
)
def test_aws_rules_that_do_not_overlap(tmp_path: Path, first: dict[str, Any], second: dict[str, Any]) -> None:
    assert _two_rules(tmp_path, "aws", first, second) == []


def test_overlap_is_an_aws_rule_only(tmp_path: Path) -> None:
    assert _two_rules(tmp_path, "minio", _rule([CREATED_ALL]), _rule([CREATED_PUT])) == []


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://hooks.example.com/x", True),
        ("http://127.0.0.1:8080/cb", True),
        ("http://[::1]:80/", True),
        ("ftp://example.com", False),
        ("https://", False),
        ("hooks.example.com/x", False),
        ("https://exa mple.com", False),
        ("http://host:99999999/", False),
        ("http://[::1/", False),
    ],
)
def test_http_urls(url: str, ok: bool) -> None:
    assert is_http_url(url) is ok


def test_rule_secrets_are_resolved_into_secret_values(tmp_path: Path) -> None:
    config = load_configuration([str(EXAMPLES / "bos.yaml")])
    resolved = resolve_rule_secrets(config, {"BOS_NOTIFY_KEY": "signing-key"})
    rules = {rule.id: rule for bucket in resolved.buckets for rule in bucket.notifications}
    ocr = rules["ocr-on-upload"]
    assert isinstance(ocr, BosRule) and ocr.encryption is not None
    key = ocr.encryption.key
    assert isinstance(key, SecretValue)
    assert key.reveal() == "signing-key" and key.ref == EnvRef(env="BOS_NOTIFY_KEY")
    assert key == SecretValue.of("signing-key")
    assert rules["archive-function"] == next(
        r for b in config.buckets for r in b.notifications if r.id == "archive-function"
    )
    assert "signing-key" not in repr(resolved) + resolved.model_dump_json()


def test_missing_rule_secret_names_the_rule_and_the_variable() -> None:
    config = load_configuration([str(EXAMPLES / "bos.yaml")])
    with pytest.raises(CredentialError) as caught:
        resolve_rule_secrets(config, {})
    assert "bos-bj/scanned-documents/ocr-on-upload" in str(caught.value)
    assert "BOS_NOTIFY_KEY" in str(caught.value)


def test_file_secret_relative_to_the_configuration_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conf = tmp_path / "conf"
    (conf / "keys").mkdir(parents=True)
    (conf / "keys" / "notify.key").write_text("from-a-file\n", encoding="utf-8")
    text = (
        (EXAMPLES / "bos.yaml").read_text(encoding="utf-8").replace("{env: BOS_NOTIFY_KEY}", "{file: keys/notify.key}")
    )
    (conf / "bos.yaml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # a relative -c and a relative file reference
    resolved = resolve_rule_secrets(load_configuration(["conf"]), {})
    rule = next(r for b in resolved.buckets for r in b.notifications if r.id == "ocr-on-upload")
    assert isinstance(rule, BosRule) and rule.encryption is not None
    assert isinstance(rule.encryption.key, SecretValue) and rule.encryption.key.reveal() == "from-a-file"
    assert rule.encryption.key.ref == FileRef(file=str(conf / "keys" / "notify.key"))

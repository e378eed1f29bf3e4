"""Issue 9.5: two entries that reach the same physical bucket are refused by `validate`, naming both."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import main


def _write(path: Path, content: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return path


def _validate(capsys: pytest.CaptureFixture[str], *paths: Path) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["validate", *(arg for p in paths for arg in ("-c", str(p)))])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_two_providers_at_the_same_zone_declaring_one_bucket_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _write(
        tmp_path / "a.yaml",
        "version: 1\nproviders:\n  qs: {type: qingstor, zone: pek3b}\n"
        "  qs2: {type: qingstor, zone: pek3b, endpoint: 'HTTPS://PEK3B.qingstor.com/'}\n"
        "buckets:\n  - provider: qs\n    bucket: photos\n",
    )
    second = _write(tmp_path / "b.yaml", "version: 1\nbuckets:\n  - {provider: qs2, bucket: photos}\n")
    code, output = _validate(capsys, first, second)
    assert code == 1
    assert (
        f"{second}:3:5: buckets[0]: bucket qs2/photos is the same bucket as qs/photos declared at {first}:6:5 "
        "(qingstor at https://pek3b.qingstor.com, bucket 'photos')"
    ) in output
    assert "declare the bucket once" in output


def test_s3_aliases_by_endpoint_whatever_the_flavor(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _write(
        tmp_path / "c.yaml",
        "version: 1\nproviders:\n"
        "  a: {type: s3, flavor: minio, endpoint: 'http://127.0.0.1:9000'}\n"
        "  b: {type: s3, flavor: ceph, endpoint: 'http://127.0.0.1:9000/'}\n"
        "buckets:\n  - {provider: a, bucket: x}\n  - {provider: b, bucket: x}\n",
    )
    code, output = _validate(capsys, config)
    assert code == 1
    assert "bucket b/x is the same bucket as a/x" in output


def test_different_zones_regions_endpoints_or_buckets_are_fine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _write(
        tmp_path / "d.yaml",
        "version: 1\nproviders:\n  a: {type: bos, region: bj}\n  b: {type: bos, region: gz}\n"
        "  m1: {type: s3, flavor: minio, endpoint: 'http://127.0.0.1:9000'}\n"
        "  m2: {type: s3, flavor: minio, endpoint: 'http://127.0.0.1:9001'}\n"
        "buckets:\n  - {provider: a, bucket: x}\n  - {provider: b, bucket: x}\n"
        "  - {provider: m1, bucket: x}\n  - {provider: m2, bucket: x}\n  - {provider: m1, bucket: y}\n",
    )
    code, output = _validate(capsys, config)
    assert code == 0, output

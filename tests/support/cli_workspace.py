"""A configuration directory and a state file on the emulator, and the CLI run in-process on them.

ws = Workspace(tmp_path, emulator, capsys)
ws.write("buckets.yaml", buckets=[ws.bucket("qs", "photos", rule, ...)])
result = ws.cli("drift", "--format", "json")
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main
from tests.support.emulator import RunningEmulator

# provider name in configurations → (emulator dialect, s3 flavor)
PROVIDERS = {
    "qs": ("qingstor", None),
    "bj": ("bos", None),
    "jd": ("s3", "jdcloud"),
    "mn": ("s3", "minio"),
    "aws": ("s3", "aws"),
    "ce": ("s3", "ceph"),
}


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


class Workspace:
    def __init__(self, root: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]) -> None:
        self.root = root
        self.emulator = emulator
        self.capsys = capsys
        self.config = root / "notifications"
        self.config.mkdir()
        (root / "state").mkdir()
        self.state = root / "state" / "reconciler.state.json"

    def providers(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name, (dialect, flavor) in PROVIDERS.items():
            settings: dict[str, Any] = {"type": dialect, "endpoint": self.emulator.url}
            if dialect == "qingstor":
                settings["zone"] = "pek3b"
            elif dialect == "bos":
                settings["region"] = "bj"
            else:
                settings.update(flavor=flavor, region=self.emulator.region)
            found[name] = settings
        return found

    def write(self, name: str, *, buckets: list[dict[str, Any]], providers: bool = True) -> Path:
        """A configuration file (JSON, which is YAML too); the providers live in the first one written."""
        document: dict[str, Any] = {"version": 1, "buckets": buckets}
        if providers:
            document["providers"] = self.providers()
        path = self.config / name
        path.write_text(json.dumps(document, indent=2))
        return path

    @staticmethod
    def bucket(provider: str, name: str, *rules: dict[str, Any], ownership: str = "shared") -> dict[str, Any]:
        return {"provider": provider, "bucket": name, "ownership": ownership, "notifications": list(rules)}

    def create(self, provider: str, bucket: str, document: Any = None) -> None:
        dialect, flavor = PROVIDERS[provider]
        self.emulator.admin.create_bucket(dialect, bucket, flavor=flavor, document=document)

    def live(self, provider: str, bucket: str) -> Any:
        return self.emulator.admin.document(PROVIDERS[provider][0], bucket)

    def put_live(self, provider: str, bucket: str, document: Any) -> None:
        self.emulator.admin.put_document(PROVIDERS[provider][0], bucket, document)

    def cli(self, command: str, *argv: str) -> Result:
        """`reconciler <command> -c <config dir> --state <state> argv…`, exit code and output."""
        self.capsys.readouterr()
        code = main([command, "-c", str(self.config), "--state", str(self.state), *argv])
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def files(self) -> dict[str, bytes]:
        """Every file of the state directory, for checks that a command wrote nothing."""
        return {path.name: path.read_bytes() for path in sorted(self.state.parent.iterdir())}


@pytest.fixture
def ws(
    tmp_path: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Workspace:
    """A workspace on the reset emulator, its keys in every ecosystem's credential variables.
    Needs the `emulator` fixture in scope: import it next to this one in a conftest.py."""
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    return Workspace(tmp_path, emulator, capsys)

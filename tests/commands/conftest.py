"""A project directory (configuration, state) and the CLI run in-process against it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main
from tests.support.emulator import RunningEmulator, emulator, emulator_server  # noqa: F401
from tests.support.moto import MotoServer, running_moto

WITH_CONFIG = {"plan", "apply", "drift", "import"}
WITH_STATE = WITH_CONFIG | {"show", "state", "force-unlock"}


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


class Project:
    """A configuration file and a state directory in a temporary directory."""

    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root = root
        self.capsys = capsys
        self.config = root / "notifications.yaml"
        (root / "state").mkdir()
        self.state = root / "state" / "reconciler.state.json"

    def write_config(self, text: str) -> None:
        self.config.write_text(text)

    def args(self, *argv: str) -> list[str]:
        command = argv[0]
        extra: list[str] = []
        if command in WITH_CONFIG:
            extra += ["-c", str(self.config)]
        if command in WITH_STATE:
            extra += ["--state", str(self.state)]
        if command == "state":  # `state list|rm` take the options after the subcommand
            return [command, argv[1], *extra, *argv[2:]]
        return [command, *extra, *argv[1:]]

    def cli(self, *argv: str) -> Result:
        self.capsys.readouterr()
        code = main(self.args(*argv))
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def state_document(self) -> dict[str, Any]:
        return json.loads(self.state.read_text())

    def configure(self, providers: dict[str, Any], buckets: list[dict[str, Any]]) -> None:
        """Write the configuration (as JSON, which is YAML too)."""
        self.write_config(json.dumps({"version": 1, "providers": providers, "buckets": buckets}, indent=2))


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    return Project(tmp_path, capsys)


@pytest.fixture
def emulated(emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> RunningEmulator:  # noqa: F811
    """The emulator, reset, with its keys in every ecosystem's credential variables."""
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    return emulator


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    with running_moto() as server:
        yield server

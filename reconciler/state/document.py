"""The state document as every location stores it (DESIGN §4): parsed with messages that name
the location, encoded one way, and the rules of a save (lineage kept, serial checked and bumped)."""

from __future__ import annotations

import json
from collections.abc import Callable

from pydantic import ValidationError

from reconciler import __version__
from reconciler.errors import StateError
from reconciler.state.model import STATE_VERSION, StateFile
from reconciler.words import field_path, quote, validation_problem


def parse_state(content: bytes, where: str, restore: str | Callable[[], str]) -> StateFile:
    """The state document in `content`; StateError naming `where` (e.g. "state file x.json") and
    suggesting `restore` when it is not a valid state (a callable: asked only then; empty: no
    earlier version exists, so none is suggested)."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StateError(f"cannot read {where}: {exc}") from None
    hint = restore if isinstance(restore, str) else None

    def then() -> str:
        nonlocal hint
        if hint is None:
            hint = restore()  # type: ignore[operator]
        return f"; {hint}" if hint else ""

    if not text.strip():
        remove = ", or remove the empty file" if then() else "; remove the empty file"
        raise StateError(f"{where} is empty{then()}{remove} to start a new state")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StateError(
            f"{where} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}){then()}"
        ) from None
    except RecursionError:
        raise StateError(f"{where} is nested far too deeply to be a reconciler state; {restore}") from None
    if not isinstance(document, dict) or "version" not in document:
        raise StateError(f"{where} is not a reconciler state (no version){then()}")
    version = document["version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise StateError(f"{where} has an unknown version {quote(version)}{then()}")
    if version > STATE_VERSION:
        raise StateError(f"{where} was written by a newer format (version {version}); upgrade reconciler")
    try:
        return StateFile.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        at = " at " + field_path(first["loc"]) if first["loc"] else ""
        problem = validation_problem(first)
        raise StateError(f"{where} is invalid{at}: {problem}{then()}") from None


def encode_state(state: StateFile) -> bytes:
    """The state document as every location stores it."""
    return (json.dumps(state.to_document(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def next_state(
    previous: StateFile | None, state: StateFile, where: str, *, keep_serial: bool = False
) -> StateFile | None:
    """What a save of `state` over `previous` (what the location holds now) writes, or None when
    it already holds the same content (nothing to write).

    The serial becomes previous' + 1 (`keep_serial`: stays `state`'s, for a state moved between
    locations). Refuses another lineage, and a state written after `state` was read.
    """
    if previous is not None:
        if previous.lineage != state.lineage:
            raise StateError(
                f"{where} belongs to another lineage ({previous.lineage}, not {state.lineage}); "
                "refusing to overwrite it"
            )
        if previous.serial > state.serial:
            raise StateError(
                f"{where} was changed by another operation (serial {previous.serial}, this run read "
                f"{state.serial}); nothing was overwritten: run again"
            )
        if previous.same_content(state) and (not keep_serial or previous.serial == state.serial):
            return None
    serial = state.serial if keep_serial else (previous.serial if previous is not None else state.serial) + 1
    return state.model_copy(update={"serial": serial, "tool_version": __version__})

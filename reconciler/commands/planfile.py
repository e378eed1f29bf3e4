"""Saved plans: `plan --out FILE` writes the plan document, `apply FILE` and `show FILE` read it,
and `apply` checks it still fits the state (`reconciler.plan.staleness`: Terraform's two refusals, with its wording)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from reconciler.core.files import atomic_write
from reconciler.errors import PlanFileError
from reconciler.plan.model import Plan
from reconciler.plan.staleness import state_for_saved_plan as state_for_saved_plan  # decided with the other refusals
from reconciler.regular_file import read_regular
from reconciler.render.json import render_plan_json


def save_plan_file(path: str | os.PathLike[str], plan: Plan) -> None:
    """Write the plan document (no secret is ever part of it), readable by its owner only, as the
    state is written: a failure at any point leaves the previous file whole."""
    path = Path(path)
    if path.is_dir():
        raise PlanFileError(f"cannot write plan file {path}: it is a directory; name a file, e.g. {path / 'plan.json'}")
    try:
        atomic_write(path, render_plan_json(plan).encode("utf-8"))
    except OSError as exc:
        raise PlanFileError(f"cannot write plan file {path}: {exc.strerror or exc}") from None


def load_plan_file(path: str | os.PathLike[str]) -> Plan:
    """The plan saved in `path`; PlanFileError when it is unreadable, not a plan, or of another format."""
    path = Path(path)
    try:
        text = read_regular(path).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise PlanFileError(f"cannot read plan file {path}: {reason}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanFileError(
            f"plan file {path} is not a reconciler plan (not JSON: line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except RecursionError:
        raise PlanFileError(f"plan file {path} is not a reconciler plan (nested far too deeply)") from None
    return Plan.from_document(document, source=f"plan file {path}")

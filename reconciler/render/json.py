"""JSON documents: the plan (what `plan --out` saves and `--format json` prints) and the state.

Key order is the models' field order, so output is stable from run to run and diffable.
"""

from __future__ import annotations

import json
from typing import Any

import pydantic_core

from reconciler.plan.model import Plan
from reconciler.state.model import StateFile


def dumps(document: Any) -> str:
    """`json.dumps(document, indent=2, ensure_ascii=False)`, byte for byte, at C speed.

    Python's encoder falls back to pure Python whenever it indents (4 s of a 10,000-bucket plan's
    CPU); pydantic-core's Rust encoder indents alike. Where the two could spell a value differently
    (a float's exponent, a key that is not a string), their compact forms differ, and then
    Python's own encoder writes the document as before.
    """
    try:
        compact = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        same = pydantic_core.to_json(document) == compact
        del compact  # a 10,000-bucket plan is tens of megabytes of text: hold as few copies as we can
        if same:
            return (pydantic_core.to_json(document, indent=2) + b"\n").decode("utf-8")
    except (TypeError, ValueError):
        pass  # Python's encoder below says what it cannot encode, as it always did
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_plan_json(plan: Plan) -> str:
    return dumps(plan.to_document())


def render_state_json(state: StateFile) -> str:
    return dumps(state.to_document())

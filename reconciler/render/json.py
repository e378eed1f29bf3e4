"""JSON documents: the plan (what `plan --out` saves and `--format json` prints) and the state.

Key order is the models' field order, so output is stable from run to run and diffable.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.plan.model import Plan
from reconciler.state.model import StateFile


def dumps(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_plan_json(plan: Plan) -> str:
    return dumps(plan.to_document())


def render_state_json(state: StateFile) -> str:
    return dumps(state.to_document())

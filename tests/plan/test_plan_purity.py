"""Planning, state and rendering know nothing of HTTP, providers, apply or commands (DESIGN §9)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FORBIDDEN = ("httpx", "reconciler.providers", "reconciler.apply", "reconciler.commands", "reconciler.cli")


def test_plan_state_and_render_import_no_io_layers() -> None:
    probe = (
        "import sys, reconciler.plan.planner, reconciler.plan.outcome, reconciler.state, reconciler.render\n"
        f"print(sorted(m for m in sys.modules if m.startswith({FORBIDDEN!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=Path(__file__).parents[2], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"

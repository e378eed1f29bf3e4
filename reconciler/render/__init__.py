"""Renderers: plans and state as text, JSON and Markdown, built from the data alone."""

from reconciler.render.json import render_plan_json, render_state_json
from reconciler.render.markdown import render_plan_markdown
from reconciler.render.state import render_state_list, render_state_markdown, render_state_text
from reconciler.render.text import render_plan_text

__all__ = [
    "render_plan_json",
    "render_plan_markdown",
    "render_plan_text",
    "render_state_json",
    "render_state_list",
    "render_state_markdown",
    "render_state_text",
]

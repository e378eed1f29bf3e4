"""Renderers: plans and state as text, JSON and Markdown, and imported rules as configuration YAML."""

from reconciler.render.configuration import configuration_yaml
from reconciler.render.json import render_plan_json, render_state_json
from reconciler.render.markdown import render_plan_markdown
from reconciler.render.state import render_state_list, render_state_markdown, render_state_text
from reconciler.render.text import render_plan_text

__all__ = [
    "configuration_yaml",
    "render_plan_json",
    "render_plan_markdown",
    "render_plan_text",
    "render_state_json",
    "render_state_list",
    "render_state_markdown",
    "render_state_text",
]

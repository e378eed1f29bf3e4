"""Configuration files: loading, schema and provider-rule validation, secret references."""

from reconciler.config.diagnostics import Diagnostic
from reconciler.config.loader import load_configuration
from reconciler.config.secrets import resolve_rule_secrets, resolve_secret

__all__ = ["Diagnostic", "load_configuration", "resolve_rule_secrets", "resolve_secret"]

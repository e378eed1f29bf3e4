"""The providers' endpoints: where a provider's buckets live, resolved in reconciler.config.endpoints
(validate's alias check needs it below the providers)."""

from __future__ import annotations

from reconciler.config.endpoints import Endpoint, default_endpoint, endpoint_for

__all__ = ["Endpoint", "default_endpoint", "endpoint_for"]

"""An access key as a provider's credential chain finds it (reconciler.providers.credentials, and
botocore's chain in reconciler.providers.aws_chain): its own module, so neither imports the other."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class AccessKey:
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)
    origin: str = ""  # where the key was found, for people: "environment", "profile 'dev' (botocore)", …
    refresh: Callable[[], AccessKey] | None = field(default=None, repr=False, compare=False)

    @property
    def account(self) -> str | None:
        """The key id, when it names a long-lived key: a temporary key (a session token, or one that
        refreshes: assume-role, SSO, metadata) gets a new id at every issue, so it names no account."""
        return self.access_key_id if self.session_token is None and self.refresh is None else None

    def current(self) -> AccessKey:
        """This key, or the refreshed one when its source expires keys (assume-role, SSO, metadata)."""
        return self.refresh() if self.refresh is not None else self

"""Which physical bucket a state entry's rules belong to: a value the state records and providers compute."""

from __future__ import annotations

from typing import Literal

from reconciler.model.common import Frozen

ProviderType = Literal["qingstor", "bos", "s3"]


class BucketIdentity(Frozen):
    """The physical bucket a state entry's rules belong to (DESIGN §2); never holds a secret.

    `endpoint` is normalised (`scheme://host[:port][/base]`), `location` the zone or region,
    `account` the access-key id the bucket was read with, when known.
    """

    type: ProviderType
    endpoint: str
    location: str
    bucket: str
    account: str | None = None

    def differences(self, now: BucketIdentity) -> list[str]:
        """What changed from this identity to `now`, one phrase each (an unknown account is no change)."""
        found = [
            f"{name} {getattr(self, name)!r} → {getattr(now, name)!r}"
            for name in ("type", "endpoint", "location", "bucket")
            if getattr(self, name) != getattr(now, name)
        ]
        if self.account is not None and now.account is not None and self.account != now.account:
            found.append(f"access key {self.account!r} → {now.account!r}")
        return found

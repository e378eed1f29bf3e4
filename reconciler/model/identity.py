"""Which physical bucket a state entry's rules belong to: a value the state records and providers compute."""

from __future__ import annotations

from typing import Literal

from reconciler.model.common import Frozen

ProviderType = Literal["qingstor", "bos", "s3"]


def store_of(endpoint: str) -> str:
    """A normalised endpoint without its scheme: http:// and https:// to one host reach one store.
    Every Amazon S3 endpoint of a partition (global, regional, dualstack, `s3-region`) is one store:
    bucket names are global there, so the same name through any of them is the same bucket."""
    store = endpoint.split("://", 1)[-1]
    host = store.split("/", 1)[0].split(":", 1)[0]
    for partition in ("amazonaws.com", "amazonaws.com.cn"):
        if host.endswith("." + partition) and host.split(".", 1)[0].startswith("s3"):
            return f"s3.{partition}"
    return store


class BucketIdentity(Frozen):
    """The physical bucket a state entry's rules belong to (DESIGN §2); never holds a secret.

    `endpoint` is normalised (`scheme://host[:port][/base]`; its scheme alone changing is no change),
    `location` the zone or region,
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
            if (store_of(getattr(self, name)) if name == "endpoint" else getattr(self, name))
            != (store_of(getattr(now, name)) if name == "endpoint" else getattr(now, name))
        ]
        if self.account is not None and now.account is not None and self.account != now.account:
            found.append(f"access key {self.account!r} → {now.account!r}")
        return found

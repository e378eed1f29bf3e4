"""Addresses (DESIGN §3): `<provider>/<bucket>` names a bucket, `<provider>/<bucket>/<rule-id>` a rule.

Provider names and bucket names never hold `/`; rule ids may (everything after the second `/`).
Documents, state keys and messages keep addresses as strings: these types are how code builds and
takes them apart, so the format is written in one place.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BucketAddress:
    provider: str
    bucket: str

    @classmethod
    def parse(cls, text: str) -> BucketAddress:
        """The bucket of `p/b` (or of a rule address `p/b/id`); ValueError when it is not an address."""
        parsed = parse_address(text)
        return parsed if isinstance(parsed, BucketAddress) else parsed.bucket_address

    @classmethod
    def provider_of(cls, text: str) -> str:
        """The provider name of a well-formed bucket or rule address (no check: for addresses we built)."""
        return text.split("/", 1)[0]

    @classmethod
    def of(cls, text: str) -> BucketAddress:
        """A well-formed bucket address taken apart (no check: for addresses we built)."""
        provider, bucket = text.split("/", 1)
        return cls(provider, bucket)

    def rule(self, rule_id: str) -> RuleAddress:
        return RuleAddress(self, rule_id)

    def __str__(self) -> str:
        return f"{self.provider}/{self.bucket}"


@dataclass(frozen=True, slots=True)
class RuleAddress:
    bucket_address: BucketAddress
    rule_id: str

    @classmethod
    def parse(cls, text: str) -> RuleAddress:
        """The rule of `p/b/id`; ValueError when it is not a rule address."""
        parsed = parse_address(text)
        if not isinstance(parsed, RuleAddress):
            raise ValueError(f"{text!r} is not a rule address <provider>/<bucket>/<rule-id>")
        return parsed

    @staticmethod
    def join(bucket_address: str, rule_id: str) -> str:
        """`p/b` and `id` → `p/b/id`."""
        return f"{bucket_address}/{rule_id}"

    def __str__(self) -> str:
        return self.join(str(self.bucket_address), self.rule_id)


def parse_address(text: str) -> BucketAddress | RuleAddress:
    """`p/b` → BucketAddress, `p/b/id` → RuleAddress; ValueError naming the expected forms otherwise."""
    parts = text.split("/", 2)
    if len(parts) < 2 or not parts[0] or not parts[1] or (len(parts) == 3 and not parts[2]):
        raise ValueError(f"{text!r} is not an address: expected <provider>/<bucket> or <provider>/<bucket>/<rule-id>")
    bucket = BucketAddress(parts[0], parts[1])
    return bucket.rule(parts[2]) if len(parts) == 3 else bucket


def split_address(text: str) -> tuple[str, str | None]:
    """`p/b` → (`p/b`, None); `p/b/rule` → (`p/b`, `rule`). Rule ids may themselves hold `/`."""
    parsed = parse_address(text)
    if isinstance(parsed, RuleAddress):
        return str(parsed.bucket_address), parsed.rule_id
    return str(parsed), None

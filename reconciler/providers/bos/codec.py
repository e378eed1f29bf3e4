"""BOS JSON `{"notifications": [...]}` ↔ LiveDocument / BosRule.

Unknown keys (the Go SDK's contentType, quota, apps[].cfc, apps[].xParams…) are tolerated and kept
in `raw`. `encryption.key` read from the wire becomes a SecretValue; on the way out the secret
is revealed (or resolved from its reference) only into the request body.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from reconciler.errors import CredentialError
from reconciler.model.bos import BosApp, BosRule
from reconciler.model.common import EnvRef, FileRef, SecretValue
from reconciler.model.document import DocumentEntry, LiveDocument
from reconciler.providers.json_document import decode_document, encode_document, known

RULE_FIELDS = tuple(BosRule.model_fields)
APP_FIELDS = tuple(BosApp.model_fields)

# Turns a secret (reference or resolved value) into its clear text for the wire; the string
# names the secret for error messages.
Reveal = Callable[[EnvRef | FileRef | SecretValue, str], str]


def parse_rule(entry: dict[str, Any]) -> BosRule:
    fields = known(entry, RULE_FIELDS)
    encryption = fields.get("encryption")
    if isinstance(encryption, dict):
        key = encryption.get("key")
        fields["encryption"] = {"key": SecretValue.of(key)} if isinstance(key, str) and key else None
    apps = fields.get("apps")
    if isinstance(apps, list):
        fields["apps"] = [known(app, APP_FIELDS) if isinstance(app, dict) else app for app in apps]
    return BosRule.model_validate({k: v for k, v in fields.items() if v is not None})


def reveal_with(resolve: Callable[[EnvRef | FileRef, str], str]) -> Reveal:
    """Known values as they are; references (or values remembered only by reference) resolved."""

    def reveal(secret: EnvRef | FileRef | SecretValue, what: str) -> str:
        if isinstance(secret, SecretValue):
            if secret.known:
                return secret.reveal()
            if secret.ref is None:
                raise CredentialError(f"the {what} is known only by its digest, so it cannot be written")
            secret = secret.ref
        return resolve(secret, what)

    return reveal


def _unresolvable(ref: EnvRef | FileRef, what: str) -> str:
    raise CredentialError(f"the {what} is an unresolved reference, so it cannot be written")


reveal_known = reveal_with(_unresolvable)


def rule_to_wire(rule: BosRule, reveal: Reveal = reveal_known) -> dict[str, Any]:
    wire: dict[str, Any] = {"id": rule.id}
    if rule.name is not None:
        wire["name"] = rule.name
    wire.update(appId=rule.appId, status=rule.status)
    if rule.encryption is not None:
        wire["encryption"] = {"key": reveal(rule.encryption.key, f"encryption.key of rule {rule.id!r}")}
    if not rule.simplified:
        wire.update(resources=list(rule.resources), events=list(rule.events))
        wire["apps"] = [app.model_dump(exclude_none=True) for app in rule.apps]
    return wire


def decode(body: bytes) -> LiveDocument:
    return decode_document(body, parse_rule)


def encode(entries: Sequence[DocumentEntry], reveal: Reveal = reveal_known) -> bytes:
    def one(rule: Any) -> dict[str, Any]:
        if not isinstance(rule, BosRule):
            raise TypeError(f"a BOS document cannot hold a {type(rule).__name__}")
        return rule_to_wire(rule, reveal)

    return encode_document(entries, one)

"""What a provider read from a live bucket: the whole notification document.

Each entry keeps the exact wire form (`raw`) so that rules this tool does not manage (foreign
rules) are written back unchanged, and, when it fits the dialect's model, the parsed `rule`.

`raw` is JSON-able:
- qingstor / bos: the rule's JSON object exactly as the server returned it (unknown keys kept);
- s3: the rule's XML element serialised without namespace prefix, e.g.
  `<TopicConfiguration><Id>a</Id>…</TopicConfiguration>` (the codec writes it back verbatim).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict

from reconciler.model.bos import BosRule
from reconciler.model.qingstor import QingStorRule
from reconciler.model.s3 import S3Rule

Rule = QingStorRule | BosRule | S3Rule


class LiveRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str | None
    raw: Any
    rule: Rule | None = None


class LiveDocument(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rules: tuple[LiveRule, ...] = ()

    @property
    def fingerprint(self) -> str:
        """sha256 of the canonical JSON of every raw entry, in order: changes iff the document does."""
        canonical = json.dumps(
            [entry.raw for entry in self.rules], sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def by_id(self) -> dict[str, LiveRule]:
        """Entries keyed by id (first wins when a server holds duplicate ids)."""
        found: dict[str, LiveRule] = {}
        for entry in self.rules:
            if entry.id is not None and entry.id not in found:
                found[entry.id] = entry
        return found

    @property
    def ids(self) -> list[str | None]:
        return [entry.id for entry in self.rules]


# What a provider is asked to write: managed rules as models, foreign rules as their live entries.
DocumentEntry = Rule | LiveRule

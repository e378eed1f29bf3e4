"""The configuration as expanded (`reconciler show-config`, `validate --expand`): one explicit
bucket entry per bucket, with the rules each really gets, so a reviewer sees what rule sets,
variables and selectors mean. The YAML is itself a valid configuration."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from reconciler.config.entries import ExpandedBucket
from reconciler.model.config import Configuration, ProviderConfig


def _provider(provider: ProviderConfig) -> dict[str, Any]:
    written = provider.model_dump(mode="json", exclude_defaults=True, exclude={"name", "type"})
    return {"type": provider.type, **written}


def _entry(bucket: ExpandedBucket) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "provider": bucket.provider,
        "bucket": bucket.bucket,
        "ownership": bucket.ownership,
    }
    if bucket.adopt:
        entry["adopt"] = list(bucket.adopt)
    entry["notifications"] = list(bucket.rules)
    return entry


def expanded_document(config: Configuration, expanded: Sequence[ExpandedBucket], *, offline: bool) -> dict[str, Any]:
    """The JSON form: the configuration, where each bucket came from, and each selector's resolution."""
    return {
        "configuration": {
            "version": 1,
            "providers": {name: _provider(provider) for name, provider in config.providers.items()},
            "buckets": [_entry(bucket) for bucket in expanded],
            **({"released": list(config.released)} if config.released else {}),
        },
        "origins": [
            {"address": f"{b.provider}/{b.bucket}", "entry": b.entry, "selected": b.selected} for b in expanded
        ],
        "selections": [
            {**selection.model_dump(mode="json"), "resolved": not offline} for selection in config.selections
        ],
    }


def render_expanded_json(config: Configuration, expanded: Sequence[ExpandedBucket], *, offline: bool) -> str:
    return json.dumps(expanded_document(config, expanded, offline=offline), indent=2, ensure_ascii=False) + "\n"


def render_expanded_yaml(config: Configuration, expanded: Sequence[ExpandedBucket], *, offline: bool) -> str:
    document = CommentedMap()
    document["version"] = 1
    document["providers"] = CommentedMap((name, _provider(p)) for name, p in config.providers.items())
    buckets = CommentedSeq(_entry(bucket) for bucket in expanded)
    for index, bucket in enumerate(expanded):
        how = "selected by the entry" if bucket.selected else "from the entry"
        buckets.yaml_set_comment_before_after_key(
            index, before=f"{bucket.provider}/{bucket.bucket}: {how} at {bucket.entry}", indent=2
        )
    document["buckets"] = buckets
    if config.released:
        document["released"] = CommentedSeq(config.released)
    lines = ["The configuration as expanded: rule sets, variables and bucket lists written out per bucket."]
    for selection in config.selections:
        patterns = json.dumps(selection.selector, ensure_ascii=False)
        if offline:
            lines.append(f"Selector {patterns} of provider {selection.provider} (entry at {selection.entry}): "
                         "resolved at plan time, not offline; its buckets are not shown.")  # fmt: skip
        else:
            lines.append(f"Selector {patterns} of provider {selection.provider} (entry at {selection.entry}) "
                         f"matched {len(selection.buckets)} bucket(s) in the provider's listing.")  # fmt: skip
    document.yaml_set_start_comment("\n".join(lines))
    stream = io.StringIO()
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    yaml.dump(document, stream)
    return stream.getvalue()

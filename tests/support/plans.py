"""Builders for planner, state and renderer tests: configurations, live documents, plans."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from reconciler.kinds import dialect_for
from reconciler.model import (
    BosProvider,
    BucketConfig,
    Configuration,
    EnvRef,
    LiveDocument,
    LiveRule,
    QingStorProvider,
    S3Provider,
    SecretValue,
)
from reconciler.model.document import Rule
from reconciler.plan.model import LiveSlot, ManagedSlot, Plan
from reconciler.plan.planner import build_plan
from reconciler.plan.rules import rule_document
from reconciler.state.model import StateFile

NOW = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)
LINEAGE = "4f0c2a8e-0d7b-4a43-9a4c-2f1e0c1d5b6a"
SECRET = "bos-clear-signing-key-DO-NOT-PRINT"

PROVIDERS = {
    "qs": QingStorProvider(name="qs", zone="pek3b"),
    "bj": BosProvider(name="bj", region="bj"),
    "aws": S3Provider(name="aws", flavor="aws"),
    "jd": S3Provider(name="jd", flavor="jdcloud", region="cn-north-1"),
    "mn": S3Provider(name="mn", flavor="minio"),
    "ce": S3Provider(name="ce", flavor="ceph"),
}


def qs_rule(rule_id: str, **fields: Any) -> Rule:
    data = {"id": rule_id, "event_types": ["create_object"], "cloudfunc": "notifier", "notify_url": "https://hooks.example.com/qs"}
    data.update(fields)
    return dialect_for(PROVIDERS["qs"]).rule_model.model_validate(data)


def bos_rule(rule_id: str, *, secret: str | None = SECRET, ref: str | None = "BOS_KEY", **fields: Any) -> Rule:
    data: dict[str, Any] = {
        "id": rule_id,
        "appId": "app-ocr",
        "status": "enabled",
        "resources": ["/scans/*.png"],
        "events": ["PutObject"],
        "apps": [{"id": "app-ocr", "eventUrl": "app:ImageOcr"}],
    }
    if secret is not None:
        data["encryption"] = {"key": SecretValue.of(secret, EnvRef(env=ref) if ref else None)}
    data.update(fields)
    return dialect_for(PROVIDERS["bj"]).rule_model.model_validate(data)


def s3_rule(rule_id: str, target: str = "NS:https://a.example.com/cb", **fields: Any) -> Rule:
    data = {"id": rule_id, "type": "topic", "target": target, "events": ["s3:ObjectCreated:*"]}
    data.update(fields)
    return dialect_for(PROVIDERS["aws"]).rule_model.model_validate(data)


def config(*buckets: BucketConfig, providers: Iterable[str] | None = None) -> Configuration:
    names = set(providers) if providers is not None else {b.provider for b in buckets}
    return Configuration(providers={n: PROVIDERS[n] for n in sorted(names)}, buckets=buckets)


def bucket(address: str, *rules: Rule, ownership: str = "shared", adopt: Sequence[str] = ()) -> BucketConfig:
    provider, name = address.split("/", 1)
    return BucketConfig(
        provider=provider, bucket=name, ownership=ownership, notifications=rules, adopt=tuple(adopt)  # type: ignore[arg-type]
    )


def live_rule(rule: Rule, raw: Any = None) -> LiveRule:
    """A parsed live entry; `raw` defaults to the rule's JSON (with any secret in clear, as a server has it)."""
    if raw is None:
        raw = rule.model_dump(mode="json")
        encryption = getattr(rule, "encryption", None)
        if encryption is not None and isinstance(encryption.key, SecretValue) and encryption.key.known:
            raw["encryption"]["key"] = encryption.key.reveal()
    return LiveRule(id=rule.id, raw=raw, rule=rule)


def foreign(rule_id: str | None, raw: Any = None, rule: Rule | None = None) -> LiveRule:
    return LiveRule(id=rule_id, raw=raw if raw is not None else {"id": rule_id, "foreign": True}, rule=rule)


def document(*entries: LiveRule | Rule) -> LiveDocument:
    return LiveDocument(rules=tuple(e if isinstance(e, LiveRule) else live_rule(e) for e in entries))


def state(**owned: Sequence[Rule]) -> StateFile:
    """A state owning the given rules per bucket (keyword `qs__photos` means address `qs/photos`)."""
    result = StateFile(tool_version="0.1.0", lineage=LINEAGE, serial=3)
    for key, rules in owned.items():
        address = key.replace("__", "/")
        provider, name = address.split("/", 1)
        dialect = dialect_for(PROVIDERS[provider])
        result = result.with_bucket_applied(
            address,
            provider=provider,
            type=dialect.type,
            flavor=dialect.flavor,
            bucket=name,
            rules={r.id: rule_document(r, dialect) for r in rules},
            foreign=(),
            live_fingerprint="sha256:" + "0" * 64,
            applied_at=NOW,
        )
    return result


def plan(
    cfg: Configuration,
    live: Mapping[str, LiveDocument],
    prior: StateFile | None = None,
    targets: Sequence[str] = (),
) -> Plan:
    prior = prior if prior is not None else applied_before(cfg, live)
    return build_plan(cfg, live, prior, targets=targets, tool_version="0.1.0", now=NOW)


def applied_before(cfg: Configuration, live: Mapping[str, LiveDocument]) -> StateFile:
    """A state owning every declared rule that is live, recorded as it is live (so nothing has changed
    outside reconciler): declared rules found live were applied before, never silently adopted."""
    result = StateFile(tool_version="0.1.0", lineage=LINEAGE, serial=3)
    for entry in cfg.buckets:
        document_ = live.get(entry.address)
        declared = {rule.id: rule for rule in entry.notifications}
        if document_ is None or entry.ownership == "observe":
            continue
        dialect = dialect_for(PROVIDERS[entry.provider])
        rules: dict[str, Any] = {}
        for found in document_.rules:
            if found.id in declared and found.id not in rules:
                rules[found.id] = rule_document(found.rule if found.rule is not None else declared[found.id], dialect)
        result = result.with_bucket_applied(
            entry.address,
            provider=entry.provider,
            type=dialect.type,
            flavor=dialect.flavor,
            bucket=entry.bucket,
            rules=rules,
            foreign=(),
            live_fingerprint="sha256:" + "0" * 64,
            applied_at=NOW,
        )
    return result


def written(plan_: Plan, live: Mapping[str, LiveDocument]) -> dict[str, LiveDocument]:
    """What the live documents are after a faithful apply of `plan_` (the layouts, realised)."""
    result = dict(live)
    for change in plan_.buckets:
        if not change.writes_document:
            continue
        dialect = dialect_for(PROVIDERS[change.provider])
        before = live[change.address]
        entries = []
        for slot in change.layout:
            if isinstance(slot, LiveSlot):
                entries.append(before.rules[slot.live_index])
            else:
                assert isinstance(slot, ManagedSlot)
                after = change.change(slot.managed)
                assert after is not None and after.after is not None
                entries.append(live_rule(_with_clear_secret(dialect.rule_model.model_validate(after.after))))
        result[change.address] = LiveDocument(rules=tuple(entries))
    return result


def _with_clear_secret(rule: Rule) -> Rule:
    encryption = getattr(rule, "encryption", None)
    if encryption is None:
        return rule
    return rule.model_copy(update={"encryption": encryption.model_copy(update={"key": SecretValue.of(SECRET)})})

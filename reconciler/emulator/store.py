"""Buckets and their notification rules, in memory; `datafile.py` makes them durable.

A bucket is identified by its dialect and name: a QingStor bucket and an S3 bucket may share a
name, as they would on two providers. Rules are stored as plain JSON-able values (the JSON
dialects' rule objects; S3 entries as dicts, see `s3_wire.py`) and are replaced, never mutated,
so a snapshot can be serialised on another thread while requests go on.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

DIALECTS = ("qingstor", "bos", "s3")
S3_FLAVORS = ("aws", "jdcloud", "minio", "ceph")
METHODS = ("GET", "PUT", "DELETE")
SNAPSHOT_VERSION = 1


@dataclass
class Bucket:
    dialect: str
    name: str
    flavor: str | None = None  # s3 only
    rules: tuple[Any, ...] = ()
    requests: Counter[str] = field(default_factory=Counter)

    @property
    def key(self) -> str:
        return f"{self.dialect}/{self.name}"

    def counters(self) -> dict[str, int]:
        return {method: self.requests[method] for method in sorted({*METHODS, *self.requests})}


class BucketExists(Exception):
    pass


class Store:
    def __init__(self) -> None:
        self._buckets: dict[tuple[str, str], Bucket] = {}
        # grows on every change, so a data file knows whether it is behind
        self.generation = 0

    def __len__(self) -> int:
        return len(self._buckets)

    def get(self, dialect: str, name: str) -> Bucket | None:
        return self._buckets.get((dialect, name))

    def buckets(self) -> list[Bucket]:
        return [self._buckets[key] for key in sorted(self._buckets)]

    def create(self, dialect: str, name: str, flavor: str | None, rules: tuple[Any, ...] = ()) -> Bucket:
        if (dialect, name) in self._buckets:
            raise BucketExists(f"{dialect}/{name}")
        bucket = Bucket(dialect, name, flavor, rules)
        self._buckets[(dialect, name)] = bucket
        self.generation += 1
        return bucket

    def delete(self, dialect: str, name: str) -> bool:
        removed = self._buckets.pop((dialect, name), None)
        if removed is not None:
            self.generation += 1
        return removed is not None

    def replace_rules(self, bucket: Bucket, rules: tuple[Any, ...]) -> None:
        bucket.rules = rules
        self.generation += 1

    def clear(self) -> None:
        self._buckets.clear()
        self.generation += 1

    def reset_counters(self) -> None:
        for bucket in self._buckets.values():
            bucket.requests.clear()

    def snapshot(self) -> dict[str, Any]:
        """A JSON-able copy that shares the (immutable) rules: cheap to take on the event loop."""
        return {
            "version": SNAPSHOT_VERSION,
            "buckets": [
                {"dialect": b.dialect, "name": b.name, "flavor": b.flavor, "rules": list(b.rules)}
                for b in self.buckets()
            ],
        }

    @classmethod
    def from_snapshot(cls, data: Any) -> Store:
        """Rebuild from `snapshot()`; raises ValueError naming what is wrong."""
        if not isinstance(data, dict) or data.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"not an emulator data file of version {SNAPSHOT_VERSION}")
        entries = data.get("buckets")
        if not isinstance(entries, list):
            raise ValueError("'buckets' is not a list")
        store = cls()
        for index, entry in enumerate(entries):
            where = f"buckets[{index}]"
            if not isinstance(entry, dict):
                raise ValueError(f"{where} is not an object")
            dialect, name, flavor, rules = (entry.get(k) for k in ("dialect", "name", "flavor", "rules"))
            if dialect not in DIALECTS:
                raise ValueError(f"{where}.dialect {dialect!r} is not one of {', '.join(DIALECTS)}")
            if not isinstance(name, str) or not name:
                raise ValueError(f"{where}.name is missing")
            if (dialect == "s3") != (flavor is not None) or (flavor is not None and flavor not in S3_FLAVORS):
                raise ValueError(f"{where}.flavor {flavor!r} does not fit dialect {dialect}")
            if not isinstance(rules, list):
                raise ValueError(f"{where}.rules is not a list")
            try:
                store.create(dialect, name, flavor, tuple(rules))
            except BucketExists:
                raise ValueError(f"{where} repeats bucket {dialect}/{name}") from None
        store.generation = 0
        return store

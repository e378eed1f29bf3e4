"""A write whose answer was lost (issue 11): the engine reads the bucket before deciding, and
resends only when the bucket shows the write did not happen."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from reconciler.apply.engine import UNKNOWN_OUTCOME_SENDS, ApplyEngine
from reconciler.apply.recorder import StateRecorder
from reconciler.errors import UnknownOutcomeError
from reconciler.model.document import DocumentEntry, LiveDocument
from reconciler.state.model import StateFile
from tests.support.fake_provider import FakeClient
from tests.support.plans import LINEAGE, bucket, config, document, foreign, plan, qs_rule

LOST = UnknownOutcomeError("writing the notification rules failed: connection reset; may or may not", address="qs/b")


class LossyClient(FakeClient):
    """`outcome` per write: "done" (written, answer lost), "lost" (not written, answer lost),
    "other" (another writer's document lands instead), "ok" (written, answered)."""

    def __init__(self, documents: dict[str, LiveDocument], outcomes: list[str]) -> None:
        super().__init__(documents)
        self.outcomes = outcomes

    async def write(self, bucket: str, entries: Sequence[DocumentEntry], previous: LiveDocument) -> None:
        outcome = self.outcomes.pop(0) if self.outcomes else "ok"
        if outcome == "lost":
            self._enter("write", bucket)
            raise LOST
        if outcome == "other":
            self._enter("write", bucket)
            self.documents[bucket] = document(foreign("someone-else"))
            raise LOST
        await super().write(bucket, entries, previous)
        if outcome == "done":
            raise LOST


def _apply(client: FakeClient, tmp_path) -> dict[str, str]:
    cfg = config(bucket("qs/b", qs_rule("mine")))
    the_plan = plan(cfg, {"qs/b": client.documents["b"]})
    engine = ApplyEngine(
        the_plan,
        config=cfg,
        clients={"qs": client},
        recorder=StateRecorder(tmp_path / "s.json", StateFile(tool_version="0.1.0", lineage=LINEAGE)),
        environ={},
        parallelism=1,
        verify_delays=(0.0,),
    )
    report = asyncio.run(engine.run())
    return {o.address: f"{o.status}: {o.reason}" if o.reason else o.status for o in report.outcomes}


@pytest.mark.parametrize(
    ("outcomes", "writes", "status"),
    [
        (["done"], 1, "applied"),  # the bucket shows it written: not sent again
        (["lost"], 2, "applied"),  # the bucket is untouched: sent again
        (["lost"] * UNKNOWN_OUTCOME_SENDS, UNKNOWN_OUTCOME_SENDS, "failed"),  # bounded
        (["other"], 1, "failed"),  # changed by someone else: never overwritten blindly
    ],
    ids=["written", "not-written", "never-answered", "changed-meanwhile"],
)
def test_a_lost_answer_is_resolved_by_reading_the_bucket(tmp_path, outcomes, writes, status):
    client = LossyClient({"b": document(foreign("theirs"))}, list(outcomes))
    result = _apply(client, tmp_path)
    assert result["qs/b"].split(":")[0] == status, result
    assert client.count("write", "b") == writes
    if status == "applied":  # resent or not, the foreign rule is kept beside ours, once each
        assert client.documents["b"].ids == ["theirs", "mine"]
    if outcomes == ["other"]:
        assert "neither the document read before nor the one written" in result["qs/b"]
        assert client.documents["b"].ids == ["someone-else"]

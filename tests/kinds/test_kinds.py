"""The registry of provider kinds: document-level checks as issue 9's planner calls them (a list of
rules, models or plain), JD Cloud's first-match shadowing analysis, and one credentials entry per kind."""

from __future__ import annotations

import pytest

from reconciler.kinds import KINDS, Dialect, kind_of
from reconciler.model.s3 import S3Filter, S3Rule

pytestmark = pytest.mark.unit

JD = Dialect(kind_of("s3"), "jdcloud")
AWS = Dialect(kind_of("s3"), "aws")


def _topic(rule_id: str, *events: str, prefix: str | None = None, suffix: str | None = None, **extra) -> S3Rule:
    target = extra.pop("target", "NS:https://a.example.com/cb")
    key = S3Filter(prefix=prefix, suffix=suffix) if prefix or suffix else None
    return S3Rule(id=rule_id, target=target, events=events, filter=key, **extra)


def test_check_document_takes_models_and_finds_overlaps_limits_and_duplicate_ids() -> None:
    arn = "arn:aws:sns:us-east-1:1:t"
    rules = [
        _topic("a", "s3:ObjectCreated:*", prefix="images/", target=arn),
        _topic("b", "s3:ObjectCreated:Put", prefix="images/thumbs/", target=arn),
        _topic("a", "s3:ObjectRemoved:*", target=arn),
    ]
    found = {(p.index, p.code) for p in AWS.check_document(rules)}
    assert found == {(1, "overlap"), (2, "duplicate_id")}
    many = "NS:" + ",".join(f"https://h{i}.example.com/cb" for i in range(6))
    (problem,) = JD.check_document([_topic("cb", "s3:ObjectCreated:Put", target=many)])
    assert (problem.code, problem.path) == ("target", ("target",)) and "at most 5" in problem.message


@pytest.mark.parametrize(
    ("earlier", "later", "shadowed"),
    [
        (_topic("x", "s3:ObjectCreated:*"), _topic("y", "s3:ObjectCreated:Put", prefix="a/", suffix=".jpg"), True),
        # `*` is exactly Put, Post, Copy and CompleteMultipartUpload on JD Cloud
        (
            _topic(
                "x",
                "s3:ObjectCreated:Put",
                "s3:ObjectCreated:Post",
                "s3:ObjectCreated:Copy",
                "s3:ObjectCreated:CompleteMultipartUpload",
            ),
            _topic("y", "s3:ObjectCreated:*"),
            True,
        ),
        (
            _topic("x", "s3:ObjectCreated:*", suffix=".jpg"),
            _topic("y", "s3:ObjectCreated:Put", suffix="thumb.jpg"),
            True,
        ),
        (_topic("x", "s3:ObjectCreated:*", prefix="images/"), _topic("y", "s3:ObjectCreated:Put"), False),
        (_topic("x", "s3:ObjectCreated:Put"), _topic("y", "s3:ObjectCreated:*"), False),
        (_topic("x", "s3:ObjectCreated:*"), _topic("y", "s3:ObjectRemoved:*"), False),
        # the page states first-match order for TopicConfigurations only
        (
            _topic("x", "s3:ObjectCreated:*", type="cloud_function", target="fn"),
            _topic("y", "s3:ObjectCreated:Put"),
            False,
        ),
    ],
)
def test_jdcloud_shadowing_is_event_set_and_key_containment(earlier: S3Rule, later: S3Rule, shadowed: bool) -> None:
    found = JD.shadowing([earlier, later])
    assert [(s.shadowed, s.by) for s in found] == ([(1, 0)] if shadowed else [])
    assert AWS.shadowing([earlier, later]) == []  # every matching rule fires on AWS


def test_every_kind_names_its_credential_variables_once() -> None:
    for kind in KINDS.values():
        assert set(kind.credentials) >= {"access_key_id", "secret_access_key"}
        assert all(names and all(name.isupper() for name in names) for names in kind.credentials.values())
    assert kind_of("qingstor").credentials["access_key_id"] == ("QINGSTOR_ACCESS_KEY_ID", "QY_ACCESS_KEY_ID")
    assert "session_token" in kind_of("s3").credentials

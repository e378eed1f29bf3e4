"""Every validation rule has an invalid fixture whose last line says the one diagnostic expected.

`# expect: LINE:COL: PATH: MESSAGE` is compared with the whole diagnostic (file name replaced by
<file>), so position, path, wording and did-you-mean hint are all checked, and so is that the
problem yields exactly one diagnostic.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config.loader import load_configuration
from reconciler.errors import ConfigError
from reconciler.model import BosRule, QingStorRule, S3Rule

FIXTURES = Path(__file__).parent / "fixtures"
INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))
VALID = sorted(p for p in (FIXTURES / "valid").iterdir() if not p.name.startswith("."))
EXPECT = "# expect: "


def _expected(fixture: Path) -> list[str]:
    return [line[len(EXPECT) :] for line in fixture.read_text(encoding="utf-8").splitlines() if line.startswith(EXPECT)]


def _reported(error: ConfigError) -> list[str]:
    return [str(d)[len(d.file) + 1 :].replace(d.file, "<file>") for d in error.diagnostics]


@pytest.mark.parametrize("fixture", INVALID, ids=lambda p: p.stem)
def test_invalid_fixture_reports_exactly_the_expected_diagnostic(fixture: Path) -> None:
    expected = _expected(fixture)
    assert expected, f"{fixture.name} has no '# expect:' line"
    with pytest.raises(ConfigError) as caught:
        load_configuration([str(fixture)])
    assert _reported(caught.value) == expected
    assert all(d.file == str(fixture) for d in caught.value.diagnostics)


def test_every_rule_has_an_invalid_fixture() -> None:
    names = {p.stem for p in INVALID}
    required = {
        "qingstor_event_type_typo", "qingstor_cloudfunc_typo", "qingstor_image_without_action",
        "qingstor_notify_url_not_http", "qingstor_object_filters_wrong_type", "duplicate_rule_id",
        "undefined_provider", "bos_status_typo", "bos_event_typo", "bos_two_wildcards", "bos_event_url_scheme",
        "bos_xvars_not_string", "bos_literal_encryption_key", "jdcloud_event_not_supported", "jdcloud_queue_rule",
        "minio_default_topic_rule", "ceph_queue_rule", "jdcloud_too_many_endpoints", "jdcloud_endpoint_not_url",
        "jdcloud_target_not_ns", "minio_target_not_minio_arn", "aws_target_wrong_service", "ceph_target_not_arn",
        "s3_prefix_too_long", "aws_overlapping_filters", "literal_secret_credentials", "duplicate_key",
        "qingstor_unknown_field_typo", "unknown_top_level_field",
        # documented statements (issue 10)
        "qingstor_notifier_without_notify_url", "qingstor_image_unknown_arg", "bos_resource_other_bucket",
        "bos_simplified_partial", "jdcloud_shadowed_rule", "jdcloud_cloud_function_ns_target",
    }  # fmt: skip
    assert required <= names


@pytest.mark.parametrize("fixture", VALID, ids=lambda p: p.name)
def test_valid_fixture_loads(fixture: Path) -> None:
    config = load_configuration([str(fixture)])
    assert config.buckets


def test_rules_are_built_in_the_dialect_of_their_provider() -> None:
    config = load_configuration([str(FIXTURES / "valid" / "split")])
    assert set(config.providers) == {"qs", "jd"}
    assert config.providers["jd"].name == "jd" and config.providers["jd"].flavor == "jdcloud"
    photos, uploads = config.bucket("qs/photos"), config.bucket("jd/uploads")
    assert photos is not None and uploads is not None
    assert all(isinstance(rule, QingStorRule) for rule in photos.notifications)
    assert [rule.id for rule in uploads.notifications] == ["second", "first"]  # file order kept (jdcloud)
    assert all(isinstance(rule, S3Rule) for rule in uploads.notifications)
    assert uploads.source is not None
    assert uploads.source.file.endswith("buckets.yml") and (uploads.source.line, uploads.source.column) == (7, 5)


def test_anchors_and_merge_keys_expand() -> None:
    config = load_configuration([str(FIXTURES / "valid" / "anchors_and_merge.yaml")])
    avatars = config.bucket("qs/avatars")
    assert avatars is not None
    merged, thumbnails = avatars.notifications
    assert isinstance(merged, QingStorRule)
    assert (merged.id, merged.object_filters, merged.cloudfunc) == ("porn-check", ("*.png",), "tupu-porn")
    assert thumbnails.event_types == ("complete_multipart", "create_object")


def test_json_file_with_relative_secret_file_anchored_at_the_file() -> None:
    fixture = FIXTURES / "valid" / "config.json"
    config = load_configuration([str(fixture)])
    docs = config.bucket("bj/docs")
    assert docs is not None and docs.ownership == "exclusive"
    (rule,) = docs.notifications
    assert isinstance(rule, BosRule) and rule.encryption is not None
    assert rule.encryption.key.file == str(fixture.parent.resolve() / "secrets" / "bos-notify.key")


def test_documented_statements_are_declarable() -> None:
    """Each of these was refused before: every value here is on a provider's PUT page."""
    config = load_configuration([str(FIXTURES / "valid" / "documented_statements.yaml")])
    photos, docs, uploads = (config.bucket(a) for a in ("qs/photos", "bj/docs", "jd/uploads"))
    assert photos is not None and docs is not None and uploads is not None
    custom = photos.notifications[0]
    assert isinstance(custom, QingStorRule) and custom.cloudfunc_args is not None
    assert custom.cloudfunc_args.model_extra == {"threshold": 0.9, "labels": ["porn", "sexy"]}
    modify, keys_only = docs.notifications
    assert isinstance(modify, BosRule) and modify.events == ("ObjectModifyGroup:*",)
    assert isinstance(keys_only, BosRule) and keys_only.simplified
    function = uploads.notifications[1]
    assert isinstance(function, S3Rule) and (function.type, function.target) == ("cloud_function", "function-thumbnails-01")

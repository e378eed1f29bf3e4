"""The paste-ready configuration `reconciler import` prints: trimmed rules, flow-style sets, secrets as references."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import load_configuration
from reconciler.model import SourceLocation
from reconciler.render import configuration_yaml
from reconciler.render.configuration import secret_variable
from tests.support.plans import PROVIDERS, SECRET, bos_rule, bucket, qs_rule, s3_rule

pytestmark = pytest.mark.unit


def test_a_new_bucket_entry_is_trimmed_and_in_flow_style_for_sets() -> None:
    text = configuration_yaml("qs/photos", PROVIDERS["qs"], (qs_rule("porn", object_filter="*.jpg"),), None)
    assert text == (
        "# Imported by `reconciler import qs/photos`.\n"
        "# Save this as a new file in the configuration directory, or add the bucket entry to a `buckets:` list.\n"
        "version: 1\n"
        "buckets:\n"
        "  - provider: qs\n"
        "    bucket: photos\n"
        "    notifications:\n"
        "      - id: porn\n"
        "        event_types: [create_object]\n"
        "        object_filters: ['*.jpg']\n"
        "        cloudfunc: notifier\n"
        "        notify_url: https://hooks.example.com/qs\n"
    )


def test_a_secret_becomes_an_env_reference_with_its_variable_named_and_is_never_printed() -> None:
    declared = bucket("bj/docs").model_copy(update={"source": SourceLocation(file="n/docs.yaml", line=3)})
    text = configuration_yaml("bj/docs", PROVIDERS["bj"], (bos_rule("ocr"),), declared)
    assert SECRET not in text
    assert "# bj/docs is already declared in n/docs.yaml line 3: add the rules below to its notifications.\n" in text
    assert (
        "          key: {env: BOS_OCR_ENCRYPTION_KEY}  # secret, never printed: set BOS_OCR_ENCRYPTION_KEY to this "
        "rule's value\n"
    ) in text


def test_a_declared_bucket_without_a_known_place_is_named_alone() -> None:
    text = configuration_yaml("aws/b", PROVIDERS["aws"], (s3_rule("t"),), bucket("aws/b"))
    assert "# aws/b is already declared: add the rules below to its notifications.\n" in text
    assert "        events: [s3:ObjectCreated:*]\n" in text


def test_the_printed_entry_loads_back_as_the_same_rules(tmp_path: Path) -> None:
    rules = (qs_rule("porn", object_filter="*.jpg"), qs_rule("thumbs", event_types=["delete_object"]))
    (tmp_path / "providers.yaml").write_text("version: 1\nproviders:\n  qs: {type: qingstor, zone: pek3b}\n")
    (tmp_path / "photos.yaml").write_text(configuration_yaml("qs/photos", PROVIDERS["qs"], rules, None))
    (loaded,) = load_configuration([str(tmp_path)]).buckets
    assert loaded.notifications == rules


def test_secret_variable_names_rule_and_field() -> None:
    assert secret_variable("ocr", "encryption.key") == "BOS_OCR_ENCRYPTION_KEY"
    assert secret_variable("scan-2.png", "encryption.key") == "BOS_SCAN_2_PNG_ENCRYPTION_KEY"
    assert secret_variable("", "") == "BOS_SECRET"

"""Addresses are written and taken apart in one place (DESIGN §3: `<provider>/<bucket>[/<rule-id>]`)."""

from __future__ import annotations

import pytest

from reconciler.core.address import BucketAddress, RuleAddress, parse_address, split_address

pytestmark = pytest.mark.unit


def test_bucket_and_rule_addresses_print_as_the_documents_write_them() -> None:
    bucket = BucketAddress("qs", "photos")
    assert str(bucket) == "qs/photos"
    assert str(bucket.rule("to/queue")) == "qs/photos/to/queue"
    assert RuleAddress.join("qs/photos", "r1") == "qs/photos/r1"


def test_parse_keeps_slashes_in_rule_ids() -> None:
    assert parse_address("qs/photos") == BucketAddress("qs", "photos")
    assert parse_address("qs/photos/a/b") == RuleAddress(BucketAddress("qs", "photos"), "a/b")
    assert BucketAddress.parse("qs/photos/a/b") == BucketAddress("qs", "photos")
    assert RuleAddress.parse("qs/photos/a").rule_id == "a"
    assert split_address("qs/photos/a/b") == ("qs/photos", "a/b")
    assert split_address("qs/photos") == ("qs/photos", None)


def test_unchecked_helpers_take_apart_addresses_the_tool_built() -> None:
    assert BucketAddress.of("qs/photos") == BucketAddress("qs", "photos")
    assert BucketAddress.provider_of("qs/photos/r") == "qs"


@pytest.mark.parametrize("text", ["", "qs", "qs/", "/photos", "qs/photos/"])
def test_a_malformed_address_names_the_expected_forms(text: str) -> None:
    with pytest.raises(
        ValueError, match=r"is not an address: expected <provider>/<bucket> or <provider>/<bucket>/<rule-id>"
    ):
        parse_address(text)


def test_a_bucket_address_is_not_a_rule_address() -> None:
    with pytest.raises(ValueError, match="is not a rule address"):
        RuleAddress.parse("qs/photos")

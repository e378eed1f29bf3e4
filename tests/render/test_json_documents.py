"""The JSON documents (plan, state, drift, apply reports) are written by pydantic-core's encoder
where it spells a document as Python's would: the text must stay byte for byte what
`json.dumps(indent=2, ensure_ascii=False)` wrote, whatever the values (differential test)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from reconciler.render.json import dumps

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False),  # NaN never equals itself; the rest, including infinities and exponents
    st.text(),  # any code point: control characters, surrogates, emoji
)
_KEYS = st.one_of(st.text(), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False))
_VALUES = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.tuples(children, children),
        st.dictionaries(_KEYS, children, max_size=4),
    ),
    max_leaves=20,
)


def _python(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


@settings(max_examples=400, deadline=None)
@given(_VALUES)
def test_same_text_as_pythons_encoder(document: Any) -> None:
    assert dumps(document) == _python(document)


@pytest.mark.parametrize(
    "document",
    [
        {"a": [], "b": {}, "c": [[], [{}]], "d": "é\x01\n\t\"\\ \u2028 😀 \x7f"},
        {"exponent": 1e-07, "large": 1e16, "infinite": float("inf"), "integer": 10**30},
        {1: "int key", None: "null key", 2.5: "float key"},
        {True: "bool key"},
        {"lone surrogate": "\ud800"},
        ("tuple", ["list"]),
    ],
)
def test_edge_cases(document: Any) -> None:
    assert dumps(document) == _python(document)


def test_what_python_cannot_encode_fails_as_before() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        dumps({"value": object()})

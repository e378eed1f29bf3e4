"""Safe XML for provider bodies: defusedxml with DTDs refused, so no entity ever expands, and the
depth and element caps of `limits` enforced while parsing (a hostile document is refused before
it is built, and never reaches recursive code)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from defusedxml.ElementTree import DefusedXMLParser

from reconciler.providers.limits import MAX_DEPTH, MAX_ELEMENTS, DocumentTooComplex


class _BoundedTreeBuilder(ET.TreeBuilder):
    def __init__(self, max_depth: int, max_elements: int) -> None:
        super().__init__()
        self._max_depth, self._max_elements = max_depth, max_elements
        self._depth = self._elements = 0

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:  # type: ignore[override]
        self._depth += 1
        self._elements += 1
        if self._depth > self._max_depth:
            raise DocumentTooComplex(f"is nested deeper than {self._max_depth} levels")
        if self._elements > self._max_elements:
            raise DocumentTooComplex(f"holds more than {self._max_elements} elements")
        return super().start(tag, attrs)

    def end(self, tag: str) -> ET.Element:
        self._depth -= 1
        return super().end(tag)


def parse(text: str | bytes, *, max_depth: int = MAX_DEPTH, max_elements: int = MAX_ELEMENTS) -> ET.Element:
    """Raises ET.ParseError for broken XML, DocumentTooComplex past the caps and defusedxml's
    errors for DTDs or entities."""
    parser = DefusedXMLParser(target=_BoundedTreeBuilder(max_depth, max_elements), forbid_dtd=True)
    parser.feed(text)
    return parser.close()


def local_name(tag: object) -> str:
    """`{namespace}Name` → `Name`; comments and processing instructions have no name."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""

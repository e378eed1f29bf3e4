"""Safe XML for provider bodies: defusedxml with DTDs refused, so no entity ever expands."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from defusedxml import ElementTree as SafeXML


def parse(text: str | bytes) -> ET.Element:
    """Raises ET.ParseError for broken XML and defusedxml's errors for DTDs or entities."""
    return SafeXML.fromstring(text, forbid_dtd=True)


def local_name(tag: object) -> str:
    """`{namespace}Name` → `Name`; comments and processing instructions have no name."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""

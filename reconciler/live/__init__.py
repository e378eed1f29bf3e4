"""Reading live notification documents, many buckets at once: used by plan, drift, import and the apply guard."""

from reconciler.live.reader import LiveRead, ReadProgress, for_each, read_live, with_address

__all__ = ["LiveRead", "ReadProgress", "for_each", "read_live", "with_address"]

"""reconciler: declarative, ownership-aware management of bucket event-notification rules."""

__version__ = "0.1.0"

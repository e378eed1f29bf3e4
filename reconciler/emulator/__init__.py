"""The local emulator of the QingStor, BOS and S3 bucket-notification APIs (DESIGN.md §7).

`reconciler emulator` serves it; `reconciler.emulator.admin_client.EmulatorAdmin` drives its
admin API. The default keys below are the quickstart's; real deployments pass their own.
"""

DEFAULT_ACCESS_KEY = "emulator-access-key"
DEFAULT_SECRET_KEY = "emulator-secret-key"
DEFAULT_REGION = "us-east-1"

__all__ = ["DEFAULT_ACCESS_KEY", "DEFAULT_REGION", "DEFAULT_SECRET_KEY"]

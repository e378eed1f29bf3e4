"""Every error the tool raises on purpose, in one tree.

    ReconcilerError                 anything the user should see as one clear message, exit 1
    ├── ConfigError                 configuration files are invalid (carries every Diagnostic)
    ├── CredentialError             a credential or secret reference cannot be resolved
    ├── StateError                  the state file is unreadable, from a newer format, or inconsistent
    │   ├── LockError               another writer holds the state lock
    │   └── StalePlanError          a saved plan no longer matches the state or the live buckets
    ├── PlanFileError               a saved plan file is unreadable or of an unknown format
    └── ProviderError               a provider request failed (code, message, request id, status)
        ├── TransportError          no usable HTTP response (timeout, reset, refused) after retries
        │   └── UnknownOutcomeError a write got no usable answer: it may or may not have taken effect
        └── ResponseError           a response that cannot be understood (broken body, wrong shape)

`cli.py` is the one place that maps these to exit codes and messages; nothing else prints them.
"""

from __future__ import annotations


class ReconcilerError(Exception):
    """Base class: the message is one sentence a user can act on."""

    exit_code = 1


class ConfigError(ReconcilerError):
    """The configuration is invalid; `diagnostics` holds every problem found, with positions."""

    def __init__(self, diagnostics: list) -> None:  # list[config.diagnostics.Diagnostic]
        self.diagnostics = list(diagnostics)
        count = len(self.diagnostics)
        super().__init__(f"{count} error{'s' if count != 1 else ''} in the configuration")


class CredentialError(ReconcilerError):
    """A credential or secret reference could not be resolved (names the provider and variable)."""


class StateError(ReconcilerError):
    """The state file cannot be used as it is."""


class LockError(StateError):
    """The state lock is held by another writer."""


class StalePlanError(StateError):
    """A saved plan no longer matches the state or the live buckets."""


class PlanFileError(ReconcilerError):
    """A saved plan file cannot be read."""


class ProviderError(ReconcilerError):
    """A provider request failed.

    `address` is the bucket address (`qs/photos`), `code` the provider's error code
    (`NoSuchBucket`, `signature_not_matched`), `request_id` the provider's request id.
    """

    def __init__(
        self,
        message: str,
        *,
        address: str | None = None,
        code: str | None = None,
        status: int | None = None,
        request_id: str | None = None,
    ) -> None:
        self.message = message
        self.address = address
        self.code = code
        self.status = status
        self.request_id = request_id
        super().__init__(self.describe())

    def describe(self) -> str:
        parts = []
        if self.address:
            parts.append(f"{self.address}:")
        parts.append(self.message)
        details = []
        if self.status is not None:
            details.append(f"HTTP {self.status}")
        if self.code:
            details.append(f"code {self.code}")
        if self.request_id:
            details.append(f"request id {self.request_id}")
        if details:
            parts.append(f"({', '.join(details)})")
        return " ".join(parts)


class TransportError(ProviderError):
    """No usable HTTP response was received, even after retries."""


class UnknownOutcomeError(TransportError):
    """A write may have reached the server but no usable answer came back; read before resending."""


class ResponseError(ProviderError):
    """The provider answered with something that cannot be understood."""


def error_reason(error: ReconcilerError) -> str:
    """An error as the reason of a bucket's outcome, which names the bucket already."""
    if isinstance(error, ProviderError):
        return ProviderError(
            error.message, code=error.code, status=error.status, request_id=error.request_id
        ).describe()
    return str(error)

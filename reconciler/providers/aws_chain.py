"""The AWS credential chain for s3 providers: botocore's own resolver, nothing re-implemented.

botocore (the library under boto3 and the AWS CLI) reads, in its order: the AWS_* variables
(unless a profile is named), the shared credentials and config files with their profiles,
`credential_process`, SSO, assume-role (`role_arn` + `source_profile` / `credential_source`),
web identity (AWS_WEB_IDENTITY_TOKEN_FILE, IRSA), container metadata
(AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI) and EC2 instance metadata (IMDS). Only the
key comes from here: requests are still signed by our SigV4 signer (its test vectors hold).
"""

from __future__ import annotations

from reconciler.errors import CredentialError
from reconciler.providers.access_key import AccessKey


def botocore_credentials(provider_name: str, profile: str | None) -> AccessKey | None:
    """The key botocore's chain finds (for `profile`, else AWS_PROFILE or `default`); None: none found."""
    import botocore.session

    try:
        session = botocore.session.Session(profile=profile or None)
        found = session.get_credentials()
        if found is None:
            return None
        frozen = found.get_frozen_credentials()
    except Exception as exc:  # noqa: BLE001 - botocore raises more than BotoCoreError (ClientError, parser errors)
        chosen = f"profile {profile!r}" if profile else "the AWS credential chain"
        raise CredentialError(f"provider {provider_name!r}: {chosen} gives no credentials: {exc}") from None
    method = getattr(found, "method", None) or "botocore"
    origin = f"{method} (botocore{f', profile {profile!r}' if profile else ''})"
    key = AccessKey(frozen.access_key, frozen.secret_key, frozen.token or None, origin=origin)
    if not hasattr(found, "refresh_needed"):  # static keys: nothing expires
        return key

    def refreshed() -> AccessKey:
        try:
            current = found.get_frozen_credentials()  # botocore refreshes when the key nears expiry
        except Exception as exc:  # noqa: BLE001 - as above: any failure to get a key is a credential error
            raise CredentialError(
                f"provider {provider_name!r}: refreshing its {method} credentials failed: {exc}"
            ) from None
        return AccessKey(current.access_key, current.secret_key, current.token or None, origin=origin)

    return AccessKey(key.access_key_id, key.secret_access_key, key.session_token, origin=origin, refresh=refreshed)

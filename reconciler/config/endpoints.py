"""Where a provider's buckets live: the endpoint URL and path- or virtual-host-style addressing.

Defaults (DESIGN §5, README "Providers and credentials"), stated by each kind in reconciler.kinds:
- qingstor  https://<zone>.qingstor.com             path style (the official SDKs' default)
- bos       https://<region>.bcebos.com             virtual host (Baidu's recommendation)
- s3 aws    https://s3.<region>.amazonaws.com       virtual host (.com.cn for cn-* regions)
- s3 jdcloud https://s3.<region>.jdcloud-oss.com    virtual host (JD's bucket domains)
- s3 minio, ceph: `endpoint` is required            path style
An explicit `endpoint` (http allowed) overrides the host; an IP or localhost endpoint defaults
to path style; `addressing` overrides the style. A bucket name that is not a valid DNS label
(or holds dots over https, which breaks wildcard certificates) always goes path style.

It lives with the configuration because validate's alias check (two entries reaching one physical
bucket, `physical_location`) needs it as much as the HTTP clients do; loading a configuration
imports it only when that check runs (httpx parses the URL).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import quote

import httpx

from reconciler.errors import ReconcilerError
from reconciler.kinds import kind_of
from reconciler.model.config import ProviderConfig

_DNS_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_HOST_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$")


@dataclass(frozen=True)
class Endpoint:
    scheme: str
    host: str  # with ":port" when the port is not the scheme's default
    base_path: str  # "" or a prefix such as "/s3", without trailing slash
    virtual: bool

    def virtual_for(self, bucket: str) -> bool:
        if not self.virtual or not _DNS_BUCKET.match(bucket) or ".." in bucket:
            return False
        return not (self.scheme == "https" and "." in bucket)

    def url(self, bucket: str, query: str) -> str:
        """URL of a bucket sub-resource, e.g. query "notification"."""
        if self.virtual_for(bucket):
            return f"{self.scheme}://{bucket}.{self.host}{self.base_path}/?{query}"
        return f"{self.scheme}://{self.host}{self.base_path}/{quote(bucket, safe='')}?{query}"

    def service_url(self, query: str = "") -> str:
        """URL of the service itself (`GET /`: the bucket listing)."""
        return f"{self.scheme}://{self.host}{self.base_path}/" + (f"?{query}" if query else "")

    def object_url(self, bucket: str, key: str, query: str = "") -> str:
        """URL of an object (`key` "" for the bucket itself), with an optional query."""
        suffix = f"?{query}" if query else ""
        path = quote(key, safe="/~")
        if self.virtual_for(bucket):
            return f"{self.scheme}://{bucket}.{self.host}{self.base_path}/{path}{suffix}"
        return f"{self.scheme}://{self.host}{self.base_path}/{quote(bucket, safe='')}/{path}{suffix}"


def _is_local(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def default_endpoint(provider: ProviderConfig) -> str:
    endpoint = kind_of(provider.type).default_endpoint(provider)
    if endpoint is None:
        raise ReconcilerError(
            f"provider {provider.name!r} (s3 flavor {provider.flavor}) needs an `endpoint`: "  # type: ignore[union-attr]
            f"{provider.flavor} has no public default"  # type: ignore[union-attr]
        )
    return endpoint


def endpoint_for(provider: ProviderConfig) -> Endpoint:
    text = (provider.endpoint or default_endpoint(provider)).strip()
    if "://" not in text:
        text = "https://" + text
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL as exc:
        raise ReconcilerError(
            f"provider {provider.name!r}: endpoint {provider.endpoint!r} is not a URL ({exc})"
        ) from None
    usable_host = bool(url.host) and (_HOST_NAME.match(url.host) is not None or _is_local(url.host))
    if url.scheme not in ("http", "https") or not usable_host or url.query or url.fragment:
        raise ReconcilerError(
            f"provider {provider.name!r}: endpoint {provider.endpoint!r} must be an http:// or https:// URL "
            "with a host name or address and no query"
        )
    host = f"[{url.host}]" if ":" in url.host else url.host
    if url.port is not None:
        host = f"{host}:{url.port}"
    if provider.addressing is not None:
        virtual = provider.addressing == "virtual"
    elif _is_local(url.host):
        virtual = False
    else:
        virtual = kind_of(provider.type).virtual_host(provider)
    return Endpoint(url.scheme, host, url.path.rstrip("/"), virtual)


def normalised_endpoint(provider: ProviderConfig) -> str | None:
    """`scheme://host[:port][/base]` in lower case; None when the provider has no usable endpoint."""
    try:
        endpoint = endpoint_for(provider)
    except ReconcilerError:
        return None
    return f"{endpoint.scheme}://{endpoint.host.lower()}{endpoint.base_path}"


def physical_location(provider: ProviderConfig, bucket: str) -> tuple[str, str, str] | None:
    """(type, endpoint, bucket) of the bucket an entry reaches; None if unknown. Two entries reach the
    same bucket when these are equal but for the endpoint's scheme (`store_of`)."""
    endpoint = normalised_endpoint(provider)
    return None if endpoint is None else (provider.type, endpoint, bucket)

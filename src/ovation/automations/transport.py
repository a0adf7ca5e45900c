"""HTTP out: Standard Webhooks signing, the SSRF guard and a POST that connects to the very
address it checked (no second DNS lookup an attacker could rebind)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import ipaddress
import secrets
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

# Cloud metadata services (the link-local 169.254.169.254 is caught as link-local anyway).
METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("169.254.170.2"),
    ipaddress.ip_address("100.100.100.200"),
    ipaddress.ip_address("fd00:ec2::254"),
}
METADATA_HOSTS = {"metadata.google.internal", "metadata", "metadata.azure.internal"}
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
TIMEOUT_SECONDS = 10
USER_AGENT = "Ovation-Webhooks/1.0"


class UnsafeURL(ValueError):
    """The URL is not allowed as a webhook target (scheme, host, or where it resolves)."""


def secret_generate() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _secret_bytes(secret: str) -> bytes:
    raw = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
    return base64.b64decode(raw)


def sign(*, secret: str, message_id: str, timestamp: int, body: str) -> str:
    """`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` per the Standard Webhooks spec."""
    signed = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(_secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(*, secrets_: list[str], message_id: str, timestamp: int, body: str) -> str:
    """Space-separated signatures, one per active secret (two during a rotation overlap)."""
    return " ".join(
        sign(secret=s, message_id=message_id, timestamp=timestamp, body=body) for s in secrets_ if s
    )


def _allow_private() -> bool:
    return bool(getattr(settings, "OVATION_WEBHOOKS_ALLOW_PRIVATE", False))


def address_refusal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address is refused, or None if it is a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    checks = [
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_unspecified", "an unspecified address"),
        ("is_private", "a private network address"),
        ("is_reserved", "a reserved address"),
    ]
    for attr, label in checks:
        if getattr(ip, attr):
            return label
    if not ip.is_global:
        return "a non-public address"
    return None


@dataclass
class Target:
    scheme: str
    host: str
    port: int
    path: str
    addresses: list[str]


def url_check(url: str, *, resolve: bool = True) -> Target:
    """Parse and vet a webhook URL: http(s) only, and every address the host resolves to must
    be public (unless OVATION_WEBHOOKS_ALLOW_PRIVATE). Raises UnsafeURL with the reason."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"not a valid URL: {exc}") from exc
    if parts.scheme not in {"http", "https"}:
        raise UnsafeURL("only http:// and https:// URLs are allowed")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise UnsafeURL("the URL has no host")
    if parts.username or parts.password:
        raise UnsafeURL("credentials in the URL are not allowed")
    port = port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    allow_private = _allow_private()
    if not allow_private and host in METADATA_HOSTS:
        raise UnsafeURL(f"{host} is a cloud metadata host")
    if not resolve:
        return Target(parts.scheme, host, port, path, [])
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURL(f"{host} does not resolve") from exc
    addresses: list[str] = []
    for info in infos:
        address = info[4][0].split("%")[0]
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnsafeURL(f"{host} does not resolve")
    if not allow_private:
        for address in addresses:
            refusal = address_refusal(ipaddress.ip_address(address))
            if refusal:
                raise UnsafeURL(f"{host} resolves to {address}, {refusal}")
    return Target(parts.scheme, host, port, path, addresses)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a fixed IP while verifying the certificate for the URL's host name."""

    def __init__(self, ip: str, port: int, server_hostname: str, **kwargs):
        super().__init__(ip, port, **kwargs)
        self._server_hostname = server_hostname

    def connect(self):
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self._server_hostname)


@dataclass
class PostResult:
    status_code: int | None
    excerpt: str
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(url: str, *, body: str, headers: dict[str, str]) -> PostResult:
    """POST `body`; the SSRF check runs again here and the connection goes to a checked IP."""
    started = time.monotonic()

    def done(status, excerpt="", error=""):
        return PostResult(status, excerpt, error[:500], int((time.monotonic() - started) * 1000))

    try:
        target = url_check(url)
    except UnsafeURL as exc:
        return done(None, error=f"refused: {exc}")
    payload = body.encode()
    host_header = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
    all_headers = {
        "Host": host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Content-Length": str(len(payload)),
        **headers,
    }
    last_error = ""
    for ip in target.addresses:
        if target.scheme == "https":
            conn: http.client.HTTPConnection = _PinnedHTTPSConnection(
                ip,
                target.port,
                target.host,
                timeout=TIMEOUT_SECONDS,
                context=ssl.create_default_context(),
            )
        else:
            conn = http.client.HTTPConnection(ip, target.port, timeout=TIMEOUT_SECONDS)
        try:
            conn.request("POST", target.path, body=payload, headers=all_headers)
            response = conn.getresponse()
            excerpt = response.read(2000).decode("utf-8", "replace")[:500]
            return done(response.status, excerpt)
        except (OSError, http.client.HTTPException) as exc:
            last_error = f"{type(exc).__name__}: {exc}"
        finally:
            conn.close()
    return done(None, error=last_error or "connection failed")

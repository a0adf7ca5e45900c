"""Pure helpers for the click path and the lead form: link codes, email normalisation, IP
hashing, user-agent classes and the signed attribution cookie. No database access here, so
these are cheap on the hot path and trivial to unit-test."""

import hashlib
import hmac
import re
import secrets
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing

# 32 symbols without look-alikes (no 0/O, 1/I): 10 characters give 50 bits, so a guessed
# code hits one of a million links with probability ~1e-9 per try (and guessing is rate limited).
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 10
_CODE_RE = re.compile(f"^[{re.escape(CODE_ALPHABET)}]{{{CODE_LENGTH}}}$")

CHANNELS = ("email", "linkedin", "x", "qr", "copy", "other")
CHANNEL_LABELS = {
    "email": "Email",
    "linkedin": "LinkedIn",
    "x": "X",
    "qr": "QR code",
    "copy": "Copied link",
    "other": "Other",
    "": "Direct",
}

COOKIE_PREFIX = "ovr_"
DUPLICATE_SECONDS = 30

FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
    }
)


def code_generate() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def code_is_well_formed(code: str) -> bool:
    """Codes are shown upper-case; callers upper-case what people type before checking."""
    return bool(_CODE_RE.match(code))


def email_normalize(email: str) -> str:
    """Case-folded, `+tag` stripped, and for Gmail dots ignored (googlemail == gmail), so that
    one person's address variants compare equal."""
    email = (email or "").strip().casefold()
    local, _, domain = email.rpartition("@")
    if not local:
        return email
    local = local.split("+", 1)[0]
    if domain in {"gmail.com", "googlemail.com"}:
        domain = "gmail.com"
        local = local.replace(".", "")
    return f"{local}@{domain}"


def email_domain(email: str) -> str:
    return (email or "").rpartition("@")[2].strip().casefold()


def _ip_key() -> bytes:
    salt = getattr(settings, "OVATION_REFERRAL_IP_SALT", "") or settings.SECRET_KEY
    return hashlib.sha256(f"ovation.referrals.ip:{salt}".encode()).digest()


_IP_KEY_CACHE: dict[str, bytes] = {}


def ip_hash(ip: str) -> str:
    """Salted HMAC of the address; the raw IP is never stored."""
    key = _IP_KEY_CACHE.get(settings.SECRET_KEY)
    if key is None:
        key = _IP_KEY_CACHE[settings.SECRET_KEY] = _ip_key()
    return hmac.new(key, (ip or "").encode(), hashlib.sha256).hexdigest()[:32]


def client_ip(request) -> str:
    if getattr(settings, "OVATION_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "")


_BOT_RE = re.compile(
    r"bot|crawl|spider|slurp|preview|facebookexternalhit|embedly|quora link|whatsapp|"
    r"skypeuripreview|curl|wget|python-requests|httpclient|headless|monitor|scan|wrk|go-http",
    re.IGNORECASE,
)
_MOBILE_RE = re.compile(r"mobi|android|iphone|ipad|ipod", re.IGNORECASE)


def agent_class(user_agent: str) -> str:
    """browser / mobile / bot. An empty user agent is a bot: real browsers always send one."""
    if not user_agent or _BOT_RE.search(user_agent):
        return "bot"
    if _MOBILE_RE.search(user_agent):
        return "mobile"
    return "browser"


def referer_host(referer: str) -> str:
    if not referer:
        return ""
    try:
        return (urlsplit(referer).hostname or "")[:100]
    except ValueError:
        return ""


def channel_clean(value: str | None) -> str:
    value = (value or "").strip().lower()
    return value if value in CHANNELS else ""


_signer = None


def _cookie_signer():
    global _signer  # noqa: PLW0603 - a module-level memo: building a signer costs more than signing
    if _signer is None:
        _signer = signing.TimestampSigner(salt="ovation.referrals.attribution")
    return _signer


def cookie_name(program_id: int) -> str:
    return f"{COOKIE_PREFIX}{program_id}"


def cookie_value(link_id: int, channel: str) -> str:
    return _cookie_signer().sign(f"{link_id}.{channel}")


def cookie_read(value: str | None, *, max_age_days: int) -> tuple[int, str, float] | None:
    """(link id, channel, issued unix time) from a valid cookie inside the window, else None."""
    if not value:
        return None
    try:
        raw = _cookie_signer().unsign(value, max_age=max_age_days * 86400)
        link_part, _, channel = raw.partition(".")
        issued = signing.b62_decode(value.rsplit(":", 2)[-2])
        return int(link_part), channel_clean(channel), float(issued)
    except (signing.BadSignature, ValueError, IndexError):
        return None


def now_ts() -> float:
    return time.time()

"""Uploaded images kept in the database and served by the app (reward pictures, referral landing
images): the type is decided by the file's first bytes, never its name, and every answer is
sandboxed, so an upload can never become a page of ours."""

import re

from django.http import HttpRequest, HttpResponse

from .errors import ServiceError

_SIGNATURES = {
    "png": (lambda d: d.startswith(b"\x89PNG\r\n\x1a\n"), "image/png"),
    "jpeg": (lambda d: d.startswith(b"\xff\xd8\xff"), "image/jpeg"),
    "gif": (lambda d: d[:6] in (b"GIF87a", b"GIF89a"), "image/gif"),
    "webp": (lambda d: d[:4] == b"RIFF" and d[8:12] == b"WEBP", "image/webp"),
}
_NAMES = {"png": "PNG", "jpeg": "JPEG", "gif": "GIF", "webp": "WebP", "svg": "SVG"}

_SVG_FORBIDDEN = re.compile(
    r"<\s*script|<\s*foreignObject|<!ENTITY|<!DOCTYPE|javascript:|\son[a-z]+\s*=|"
    r"(?:xlink:)?href\s*=\s*[\"']\s*(?!#)|<\s*iframe|<\s*embed|<\s*object",
    re.IGNORECASE,
)
SANDBOX_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def _kinds_text(kinds: tuple[str, ...]) -> str:
    """("png", "svg") -> "a PNG or an SVG"; ("png", "jpeg", "gif") -> "a PNG, JPEG or GIF"."""
    names = [_NAMES[k] for k in kinds]
    if len(names) == 1:
        return f"a {names[0]}"
    joiner = " or an " if names[-1] == "SVG" else " or "
    return "a " + ", ".join(names[:-1]) + joiner + names[-1]


def image_clean(
    *, data: bytes, kinds: tuple[str, ...], max_bytes: int, field: str = "image"
) -> tuple[bytes, str]:
    """(bytes, content type) for an accepted image, else a ServiceError naming `field`.
    SVGs with scripts, event handlers, external references or entity declarations are refused."""
    if not data:
        raise ServiceError("the image file is empty", field=field)
    if len(data) > max_bytes:
        raise ServiceError(
            f"the image is {len(data) // 1024} KB; the limit is {max_bytes // 1024} KB",
            field=field,
        )
    for kind in kinds:
        if kind in _SIGNATURES and _SIGNATURES[kind][0](data):
            return data, _SIGNATURES[kind][1]
    if "svg" in kinds:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = ""
        head = text.lstrip("\ufeff \t\r\n")[:2000].lower()
        if text and "<svg" in head and (head.startswith("<svg") or head.startswith("<?xml")):
            if _SVG_FORBIDDEN.search(text):
                raise ServiceError(
                    "this SVG contains scripts, event handlers or external references; "
                    "export a plain SVG",
                    field=field,
                )
            return data, "image/svg+xml"
    raise ServiceError(f"the image must be {_kinds_text(kinds)} file", field=field)


def image_response(
    request: HttpRequest, *, data: bytes, content_type: str, etag: str, public: bool = False
) -> HttpResponse:
    """The image with a validator, a sandboxing CSP and `nosniff`; 304 when unchanged."""
    etag = f'"{etag}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponse(status=304)
    response = HttpResponse(bytes(data), content_type=content_type)
    response["ETag"] = etag
    response["Cache-Control"] = f"{'public' if public else 'private'}, max-age=3600"
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["X-Content-Type-Options"] = "nosniff"
    return response

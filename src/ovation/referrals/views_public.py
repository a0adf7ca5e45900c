"""Public pages: the click path `/r/<code>` (the busiest URL), the landing page with the lead
form, its confirmation, the double opt-in link and the CRM webhook. No login here."""

import time

from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe
from django_ratelimit.core import is_ratelimited

from ovation.core.errors import ServiceError
from ovation.core.images import image_response

from . import selectors, services
from .forms import LeadForm
from .models import ReferralProgram
from .tracking import (
    DUPLICATE_SECONDS,
    agent_class,
    channel_clean,
    client_ip,
    code_is_well_formed,
    cookie_name,
    cookie_read,
    cookie_value,
    ip_hash,
    referer_host,
)

UNKNOWN_CODE_RATE = "30/m"
FORM_RATE = "10/h"

# Per-process memory of recent (link, client) pairs, so that a client without cookies (a
# bot, a double tap in an in-app browser) clicking again within seconds counts once.
_RECENT: dict[tuple, float] = {}
_RECENT_MAX = 20_000


def _seen_recently(key: tuple, now: float) -> bool:
    last = _RECENT.get(key)
    if len(_RECENT) >= _RECENT_MAX:
        _RECENT.clear()
    _RECENT[key] = now
    return last is not None and now - last < DUPLICATE_SECONDS


def _unknown(request, code: str):
    """A friendly page for an unknown or mistyped code; probing many codes gets 429."""
    limited = is_ratelimited(
        request,
        group="referrals.unknown_code",
        key="ip",
        rate=UNKNOWN_CODE_RATE,
        increment=True,
    )
    status = 429 if limited else 404
    response = render(request, "referrals/unknown_link.html", {"limited": limited}, status=status)
    if limited:
        response["Retry-After"] = "60"
    return response


@require_safe
def program_image(request, slug: str):
    """An active program's landing-page picture (public, like the landing page itself)."""
    row = (
        ReferralProgram.objects.filter(slug=slug, is_active=True)
        .exclude(image_type="")
        .values_list("pk", "image_data", "image_type", "updated_at")
        .first()
    )
    if row is None:
        raise Http404("no image")
    pk, data, content_type, updated_at = row
    return image_response(
        request,
        data=data,
        content_type=content_type,
        etag=f"{pk}-{int(updated_at.timestamp())}",
        public=True,
    )


@require_safe
def click(request, code: str):
    """`/r/<code>`: one lookup (none with a warm cache), one INSERT, a signed first-party
    attribution cookie, a 302 to our own landing page. Nothing from the request chooses the
    redirect target: the code only selects a row, `?c=` only a channel from a fixed list."""
    code = code.upper()
    target = selectors.link_target_get(code) if code_is_well_formed(code) else None
    if target is None:
        return _unknown(request, code)
    meta = request.META
    ua = meta.get("HTTP_USER_AGENT", "")
    agent = agent_class(ua)
    ip = ip_hash(client_ip(request))
    channel = channel_clean(request.GET.get("c"))
    now = time.time()
    name = cookie_name(target.program_id)
    existing = cookie_read(request.COOKIES.get(name), max_age_days=target.window_days)
    duplicate = _seen_recently((target.link_id, ip, agent), now) or (
        existing is not None and existing[0] == target.link_id and now - existing[2] < 30
    )
    services.click_record(
        link_id=target.link_id,
        program_id=target.program_id,
        ip_hash=ip,
        agent=agent,
        referer_host=referer_host(meta.get("HTTP_REFERER", "")),
        channel=channel,
        is_duplicate=duplicate,
    )
    location = target.landing_path + (f"&c={channel}" if channel else "")
    response = HttpResponseRedirect(location)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    if existing is None:
        # First touch wins inside the window: an existing valid cookie is never replaced.
        response.set_cookie(
            name,
            cookie_value(target.link_id, channel),
            max_age=target.window_days * 86400,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


def _attribution(request, program: ReferralProgram):
    """(link, channel) from the attribution cookie, else from `?ref=` (cookies blocked)."""
    found = cookie_read(
        request.COOKIES.get(cookie_name(program.pk)), max_age_days=program.attribution_window_days
    )
    if found is not None:
        link = selectors.link_for_landing(program=program, link_id=found[0])
        if link is not None:
            return link, found[1]
    code = (request.GET.get("ref") or request.POST.get("ref") or "").upper()
    if code_is_well_formed(code):
        link = selectors.link_for_landing(program=program, code=code)
        if link is not None:
            return link, channel_clean(request.GET.get("c") or request.POST.get("c"))
    return None, ""


def landing(request, slug: str):
    program = get_object_or_404(ReferralProgram, slug=slug, is_active=True)
    link, channel = _attribution(request, program)
    form = LeadForm(program=program)
    status = 200
    if request.method == "POST":
        if is_ratelimited(
            request, group="referrals.lead_form", key="ip", rate=FORM_RATE, increment=True
        ):
            return render(
                request,
                "referrals/landing.html",
                {"program": program, "link": link, "form": form, "limited": True},
                status=429,
            )
        form = LeadForm(request.POST, program=program)
        if form.is_bot:
            # Honeypot filled: look like success, store nothing.
            return redirect("referrals:thanks", slug=program.slug)
        if link is None:
            form.add_error(None, "This invitation link is no longer valid. Ask for a new one.")
        if form.is_valid() and link is not None:
            data = form.cleaned_data
            try:
                services.referral_submit(
                    program=program,
                    link=link,
                    first_name=data["first_name"],
                    last_name=data.get("last_name", ""),
                    email=data["email"],
                    company=data.get("company", ""),
                    phone=data.get("phone", ""),
                    message=data.get("message", ""),
                    consent=data["consent"],
                    ip_hash=ip_hash(client_ip(request)),
                    channel=channel,
                )
            except ServiceError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                return redirect("referrals:thanks", slug=program.slug)
        status = 400
    return render(
        request,
        "referrals/landing.html",
        {
            "program": program,
            "link": link,
            "inviter": link.contact if link else None,
            "form": form,
            "channel": channel,
        },
        status=status,
    )


def thanks(request, slug: str):
    program = get_object_or_404(ReferralProgram, slug=slug)
    return render(request, "referrals/thanks.html", {"program": program})


def confirm(request, token: str):
    try:
        referral = services.referral_confirm(token=token)
    except ServiceError as exc:
        return render(request, "referrals/confirm.html", {"error": exc.message}, status=400)
    return render(request, "referrals/confirm.html", {"program": referral.program})


@csrf_exempt
@require_POST
def crm_webhook(request):
    """Signed stage changes from the CRM (see `services.crm_webhook_handle`)."""
    status, message = services.crm_webhook_handle(
        body=request.body,
        timestamp=request.headers.get("X-Ovation-Timestamp", ""),
        signature=request.headers.get("X-Ovation-Signature", ""),
    )
    return JsonResponse({"status": status, "detail": message}, status=status)

"""The advocate's side: personal links with share buttons and a QR code, and the status of
every referral they made (with the reason in plain words when one did not count)."""

from urllib.parse import quote, urlencode

import segno
from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe

from ovation.hub.access import advocate_required

from . import selectors, services
from .tracking import client_ip, ip_hash

DEFAULT_SHARE_TEXT = (
    "I use {product} at {company} and it has made a real difference for us. "
    "If you're looking at something similar, here's my personal invitation:"
)


def _share(link, contact) -> dict:
    base = settings.OVATION_BASE_URL + reverse("referrals:click", kwargs={"code": link.code})
    program = link.program
    text = (program.share_text or DEFAULT_SHARE_TEXT).replace("{name}", contact.first_name or "")
    text = text.replace("{product}", "Acme").replace(
        "{company}", contact.account.name if contact.account_id else "work"
    )

    def url(channel):
        return f"{base}?c={channel}"

    qr = segno.make(url("qr"), error="m")
    return {
        "link": link,
        "program": program,
        "url": base,
        "copy_url": url("copy"),
        "text": text,
        "email_href": "mailto:?"
        + urlencode(
            {"subject": f"{program.headline}", "body": f"{text}\n\n{url('email')}"},
            quote_via=quote,
        ),
        "linkedin_href": "https://www.linkedin.com/sharing/share-offsite/?"
        + urlencode({"url": url("linkedin")}),
        "x_href": "https://x.com/intent/post?" + urlencode({"text": text, "url": url("x")}),
        "email_base": url("email"),
        "linkedin_base": url("linkedin"),
        "x_base": url("x"),
        # segno builds the SVG from our own URL only: safe to inline (no script, CSP-clean).
        "qr_svg": mark_safe(  # noqa: S308
            qr.svg_inline(scale=4, dark="#0b3d2e", title=f"QR code for {base}")
        ),
    }


@advocate_required
def hub_links(request):
    contact = request.contact
    services.advocate_network_touch(contact=contact, ip_hash=ip_hash(client_ip(request)))
    links = services.links_for_contact(contact=contact)
    referrals = selectors.referrals_for_referrer(contact_id=contact.pk)
    earned = sum(r["points"] for r in referrals)
    return render(
        request,
        "referrals/hub_links.html",
        {
            "shares": [_share(link, contact) for link in links],
            "referrals": referrals,
            "earned": earned,
            "counted": sum(1 for r in referrals if not r["reason"]),
            "won": sum(1 for r in referrals if r["referral"].status == "won"),
        },
    )

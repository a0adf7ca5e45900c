"""The weekly executive digest: the headline numbers and one chart (NPS by month with its 95%
band, drawn with matplotlib into a PNG attached inline), sent to every active executive.

Sent through the task queue (tasks.digest_send_task) and at most once per ISO week: the
DigestRun row for the week is created first and a unique constraint stops a second send.
automations.email.email_send has no attachments, so this sends its own multipart message."""

from __future__ import annotations

import io
from datetime import date
from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from ovation.users.models import User

from . import report, selectors
from .models import DigestRun


def iso_week(d: date) -> str:
    year, week, _ = d.isocalendar()
    return f"{year}-W{week:02d}"


def chart_png(data: dict) -> bytes:
    """NPS by month with its 95% band, as a PNG (matplotlib imported here: it is heavy)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    trend = data["monthly"]["trend"]
    labels = [m.strftime("%b %y") for m, _, _ in trend]
    xs = list(range(len(labels)))
    nps = [e.value for _, e, _ in trend]
    low = [e.low for _, e, _ in trend]
    high = [e.high for _, e, _ in trend]
    fig, ax = plt.subplots(figsize=(7.2, 2.8), dpi=110)
    known = [i for i, v in enumerate(nps) if v is not None]
    if known:
        ax.fill_between(
            [xs[i] for i in known],
            [low[i] for i in known],
            [high[i] for i in known],
            color="#0b6e4f",
            alpha=0.15,
            linewidth=0,
            label="95% band",
        )
        ax.plot(
            [xs[i] for i in known],
            [nps[i] for i in known],
            color="#0b6e4f",
            lw=2.2,
            marker="o",
            ms=3.5,
            label="NPS",
        )
    ax.set_xticks(xs)
    ax.set_xticklabels(labels, fontsize=7)
    ax.axhline(0, color="#94a3b8", lw=0.8)
    ax.set_ylabel("NPS")
    ax.set_title("NPS by month", fontsize=10, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=7, loc="lower right")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def digest_recipients() -> list[str]:
    return list(
        User.objects.filter(role=User.Role.EXECUTIVE, is_active=True)
        .order_by("email")
        .values_list("email", flat=True)
    )


def digest_build(today: date | None = None) -> dict:
    today = today or timezone.localdate()
    f = selectors.Filters.from_query({}, today=today)
    data = selectors.dashboard(f)
    return {
        "filters": f,
        "tiles": report.headline(data),
        "png": chart_png(data),
        "url": settings.OVATION_BASE_URL + reverse("insights:dashboard"),
        "base_url": settings.OVATION_BASE_URL,
    }


def digest_send(*, week: str | None = None, today: date | None = None) -> dict:
    """Send this week's digest once. Returns {"week", "sent", "status"}."""
    today = today or timezone.localdate()
    week = week or iso_week(today)
    recipients = digest_recipients()
    if not recipients:
        return {"week": week, "sent": 0, "status": "no executives"}
    try:
        with transaction.atomic():
            run = DigestRun.objects.create(week=week, recipients=len(recipients))
    except IntegrityError:
        return {"week": week, "sent": 0, "status": "already sent"}
    built = digest_build(today)
    context = {**built, "week": week}
    subject = f"Advocacy ROI — week {week}"
    text = render_to_string("insights/email/digest.txt", context)
    html = render_to_string("insights/email/digest.html", context)
    sent = 0
    try:
        for to in recipients:
            mail = EmailMultiAlternatives(subject=subject, body=text, to=[to])
            mail.mixed_subtype = "related"
            mail.attach_alternative(html, "text/html")
            image = MIMEImage(built["png"], "png")
            image.add_header("Content-ID", "<nps-chart>")
            image.add_header("Content-Disposition", "inline", filename="nps.png")
            mail.attach(image)
            mail.send()
            sent += 1
    except OSError:
        # Let the task retry the week: forget the claim when nothing went out.
        if not sent:
            run.delete()
        raise
    return {"week": week, "sent": sent, "status": "sent"}

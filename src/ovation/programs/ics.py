"""Calendar files (.ics, RFC 5545) for events, built with the `icalendar` package. DTSTART and
DTEND carry the event's zone (TZID) with its VTIMEZONE, so calendars show the right local time
across daylight-saving changes; UTC events are written in UTC."""

from datetime import datetime
from urllib.parse import urlparse

from django.conf import settings
from icalendar import Calendar, vCalAddress, vText
from icalendar import Event as VEvent

from .models import Event, zone_or_utc

PRODID = "-//Ovation//Programs//EN"


def event_uid(event: Event) -> str:
    """Stable per event, so a second download updates the calendar entry instead of adding one."""
    host = urlparse(settings.OVATION_BASE_URL).hostname or "ovation.local"
    return f"ovation-event-{event.pk}@{host}"


def event_ics(event: Event, *, url: str = "", now: datetime | None = None) -> bytes:
    from django.utils import timezone

    zone = zone_or_utc(event.timezone)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    vevent = VEvent()
    vevent.add("uid", event_uid(event))
    vevent.add("dtstamp", (now or timezone.now()).astimezone(zone_or_utc("UTC")))
    vevent.add("dtstart", event.starts_at.astimezone(zone))
    vevent.add("dtend", event.ends_at.astimezone(zone))
    vevent.add("summary", event.title)
    description = event.agenda or ""
    if event.virtual_url:
        description = f"Join: {event.virtual_url}\n\n{description}"
    if url:
        description = f"{description}\n\nDetails: {url}".strip()
    if description:
        vevent.add("description", description)
    location = ", ".join(p for p in (event.venue, event.address) if p) or event.virtual_url
    if location:
        vevent.add("location", location)
    if url:
        vevent.add("url", url)
    organizer = vCalAddress("mailto:" + settings.DEFAULT_FROM_EMAIL.split("<")[-1].rstrip(">"))
    organizer.params["cn"] = vText("Acme Advocates")
    vevent.add("organizer", organizer)
    vevent.add("status", "CANCELLED" if event.status == Event.Status.CANCELLED else "CONFIRMED")
    vevent.add("sequence", int(event.updated_at.timestamp()) % 100000 if event.updated_at else 0)
    cal.add_component(vevent)
    if zone.key != "UTC":
        cal.add_missing_timezones()
    return cal.to_ical()


def ics_filename(event: Event) -> str:
    from django.utils.text import slugify

    return f"{slugify(event.title)[:60] or 'event'}.ics"

"""Event times for each viewer (pure: no database). An event is stored in UTC with the zone it
happens in; a viewer sees it in their own zone and, when that differs, in the event's zone too:
"14:00 Brussels · 08:00 your time"."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


def zone_valid(name: str) -> bool:
    if not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone_label(name: str) -> str:
    """ "Europe/Brussels" -> "Brussels", "America/New_York" -> "New York"."""
    if not name or name == "UTC":
        return "UTC"
    return name.rsplit("/", 1)[-1].replace("_", " ")


def _fmt_time(dt: datetime) -> str:
    return dt.strftime("%H:%M")


def _fmt_day(dt: datetime) -> str:
    return f"{dt.strftime('%a')} {dt.day} {dt.strftime('%b %Y')}"


@dataclass(frozen=True)
class EventTimes:
    """What a viewer is shown: `primary` in their own zone, `secondary` in the other."""

    day: str  # in the viewer's zone
    start: str
    end: str
    zone: str
    local_start: datetime
    event_day: str
    event_start: str
    event_end: str
    event_zone: str
    event_start_dt: datetime
    same_zone: bool
    day_differs: bool

    @property
    def line(self) -> str:
        """One line for lists: "Tue 14 Jan 2025 · 14:00 Brussels · 08:00 your time"."""
        if self.same_zone:
            return f"{self.event_day} · {self.event_start}–{self.event_end} {self.event_zone}"
        mine = f"{self.start} your time"
        if self.day_differs:
            mine = f"{self.day}, {mine}"
        return f"{self.event_day} · {self.event_start} {self.event_zone} · {mine}"


def event_times(
    starts_at: datetime, ends_at: datetime, event_zone: str, viewer_zone: str | None
) -> EventTimes:
    """Times of an event for a viewer in `viewer_zone` (None or invalid: the event's zone)."""
    ez = ZoneInfo(event_zone) if zone_valid(event_zone) else ZoneInfo("UTC")
    vz_name = viewer_zone if viewer_zone and zone_valid(viewer_zone) else ez.key
    vz = ZoneInfo(vz_name)
    es, ee = starts_at.astimezone(ez), ends_at.astimezone(ez)
    vs, ve = starts_at.astimezone(vz), ends_at.astimezone(vz)
    same = vs.utcoffset() == es.utcoffset() and ve.utcoffset() == ee.utcoffset()
    return EventTimes(
        day=_fmt_day(vs),
        start=_fmt_time(vs),
        end=_fmt_time(ve),
        zone=zone_label(vz.key),
        local_start=vs,
        event_day=_fmt_day(es),
        event_start=_fmt_time(es),
        event_end=_fmt_time(ee),
        event_zone=zone_label(ez.key),
        event_start_dt=es,
        same_zone=same,
        day_differs=vs.date() != es.date(),
    )


def common_zones() -> list[str]:
    """Zones offered in forms: every IANA zone with a region prefix, sorted."""
    return sorted(
        z
        for z in available_timezones()
        if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/", "right/"))
    )

"""iCalendar invitations (RFC 5545) sent with convocations, and their cancellation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText

PARIS = ZoneInfo("Europe/Paris")
PRODID = "-//Cap Métiers Nouvelle-Aquitaine//ParcoursPro//FR"
CONTENT_TYPE = "text/calendar"


@dataclass(frozen=True)
class Invitation:
    """One participant's seat in a session, as his calendar keeps it: the same UID for every version (a
    change or a cancellation replaces the event he accepted), a SEQUENCE that grows with each change."""

    uid: str
    sequence: int
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str
    description: str
    organizer_name: str
    organizer_email: str
    attendee_name: str
    attendee_email: str


def render_ics(invitation: Invitation, method: Literal["REQUEST", "CANCEL"], now: datetime) -> bytes:
    """The calendar object: METHOD:REQUEST to add or update the event, METHOD:CANCEL to remove it; times in
    Europe/Paris with their VTIMEZONE, so that every client shows the hours the convocation states."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    event = Event()
    event.add("uid", invitation.uid)
    event.add("sequence", invitation.sequence)
    event.add("dtstamp", now)
    event.add("dtstart", invitation.starts_at.astimezone(PARIS))
    event.add("dtend", invitation.ends_at.astimezone(PARIS))
    event.add("summary", invitation.title)
    event.add("location", invitation.location)
    event.add("description", invitation.description)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{invitation.organizer_email}")
    organizer.params["cn"] = vText(invitation.organizer_name)
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{invitation.attendee_email}")
    attendee.params["cn"] = vText(invitation.attendee_name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["rsvp"] = vText("FALSE")
    event.add("attendee", attendee)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()

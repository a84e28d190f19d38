"""Writes of the seminar. Views, commands and tasks call these; reads live in apps.seminars.selectors."""

from apps.seminars.services.calendars import reader_calendar, series_calendar
from apps.seminars.services.clouds import cloud_rebuild, title_terms
from apps.seminars.services.notices import notice_send, notices_queue, reminders_queue
from apps.seminars.services.rsvp import RSVPRefused, rsvp_cancel, rsvp_join, waitlist_promote
from apps.seminars.services.schedule import session_cancel, session_update, term_generate
from apps.seminars.services.talks import TalkRefused, talk_cancel, talk_claim, talk_decide, talk_update

__all__ = [
    "RSVPRefused",
    "TalkRefused",
    "cloud_rebuild",
    "notice_send",
    "notices_queue",
    "reader_calendar",
    "reminders_queue",
    "rsvp_cancel",
    "rsvp_join",
    "series_calendar",
    "session_cancel",
    "session_update",
    "talk_cancel",
    "talk_claim",
    "talk_decide",
    "talk_update",
    "term_generate",
    "title_terms",
    "waitlist_promote",
]

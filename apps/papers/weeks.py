"""ISO weeks of announcement: how the catalogue is grouped and digests are addressed (/digest/2026-W48/)."""
import datetime as dt
import re
from dataclasses import dataclass

WEEK_LABEL = re.compile(r"^(?P<year>\d{4})-W(?P<week>\d{2})$")
BAD_WEEK = "Not a week: use the form 2026-W48."


@dataclass(frozen=True, order=True)
class Week:
    monday: dt.date

    @classmethod
    def containing(cls, day: dt.date) -> "Week":
        return cls(day - dt.timedelta(days=day.weekday()))

    @classmethod
    def from_label(cls, label: str) -> "Week":
        match = WEEK_LABEL.match(label)
        try:
            return cls(dt.date.fromisocalendar(int(match["year"]), int(match["week"]), 1))
        except (TypeError, ValueError):
            raise ValueError(BAD_WEEK)

    @property
    def label(self) -> str:
        year, week, _ = self.monday.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    @property
    def previous(self) -> "Week":
        return Week(self.monday - dt.timedelta(days=7))

    @property
    def next(self) -> "Week":
        return Week(self.monday + dt.timedelta(days=7))

    def __str__(self) -> str:
        return self.label

"""ISO weeks of announcement: how the catalogue is grouped and digests are addressed (/digest/2026-W48/)."""

import datetime as dt
import re
from dataclasses import dataclass

WEEK_LABEL = re.compile(r"(?P<year>\d{4})-W(?P<week>\d{2})")
# arXiv's first year to a century on: any week a page or a digest can mean, with neighbours on both
# sides (year 9999's last week has no next one).
FIRST_YEAR, LAST_YEAR = 1991, 2100
BAD_WEEK = "Not a week: use the form 2026-W48."
OUT_OF_RANGE = f"No digest for that week: weeks run from {FIRST_YEAR} to {LAST_YEAR}."


@dataclass(frozen=True, order=True)
class Week:
    monday: dt.date

    @classmethod
    def containing(cls, day: dt.date) -> "Week":
        return cls(day - dt.timedelta(days=day.weekday()))

    @classmethod
    def from_label(cls, label: str) -> "Week":
        match = WEEK_LABEL.fullmatch(label)
        try:
            week = cls(dt.date.fromisocalendar(int(match["year"]), int(match["week"]), 1))
        except (TypeError, ValueError):
            raise ValueError(BAD_WEEK) from None
        if not FIRST_YEAR <= week.monday.year <= LAST_YEAR:
            raise ValueError(OUT_OF_RANGE)
        return week

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

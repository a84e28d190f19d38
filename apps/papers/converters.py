"""Path converters for the catalogue's URLs: what does not fit never reaches a view."""

from apps.papers.weeks import Week


class WeekConverter:
    """An ISO week label, 2026-W48, of a week in range (`Week.from_label`); anything else is a 404."""

    regex = r"\d{4}-W\d{2}"  # no named groups: Django nests it in the route's own

    def to_python(self, value: str) -> str:
        Week.from_label(value)  # its ValueError makes the pattern not match
        return value

    def to_url(self, value) -> str:
        return str(value)

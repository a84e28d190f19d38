"""Seminar pages, by audience. Thin: forms validate, services write, selectors read; htmx gets the partials."""

"""The newsletter cut into parts: rendered and CSS-inlined once per week, filled in for each reader.

Two template renders and a CSS inlining per email cost most of what ranking left. Yet most of an
email is the same for every reader: the header, the editors' picks and their notes, each paper's card,
the word cloud, the footer. So each template (HTML and plain text) is rendered once per edition with
every pick and every paper in it, with slots where a reader's own values go (click links, reasons, the
unsubscribe link, the time in their zone) and <!--[markers]--> around what a reader may or may not get
(a card, its reason line, the picks section, the empty state). Markers and slots carry a random key made
for the render (`Cut`): a title, an author list or an editor's note can hold anything, marker text
included, and is then only text, because it cannot know the key. The HTML is inlined once as a whole
document, so every selector sees the page a reader gets. An email is then the parts in the reader's
order with their slots filled, each value escaped as the inliner's serialiser escapes (text: & < > and
no-break spaces; attributes: & " and no-break spaces).
"""

import re
import secrets
from dataclasses import dataclass, field

import css_inline
from django.template.loader import render_to_string

INLINER = css_inline.CSSInliner(load_remote_stylesheets=False)
ATTRIBUTE_SLOTS = {"url", "unsubscribe_url"}  # values that land in href="…"; the rest land in text


@dataclass(frozen=True)
class Cut:
    """One render's markers (`<!--[key:name]-->`, written by the templates with `cut`) and slots."""

    key: str = field(default_factory=lambda: secrets.token_hex(8))

    def slot(self, name: str) -> str:
        return f"\ue000{self.key}:{name}\ue001"

    def format(self, fragment: str) -> str:
        """The fragment as a str.format template: its own braces (CSS, any text) doubled, its slots named fields."""
        slots = re.compile(f"\ue000{self.key}:(\\w+)\ue001")
        return slots.sub(r"{\1}", fragment.replace("{", "{{").replace("}", "}}"))

    def split(self, document: str, name: str) -> tuple[str, str, str]:
        """(before, inside, after) the region `name`."""
        before, rest = document.split(f"<!--[{self.key}:{name}]-->", 1)
        inner, after = rest.split(f"<!--[{self.key}:/{name}]-->", 1)
        return before, inner, after

    def cards(self, region: str) -> tuple[str, dict[int, str], str]:
        """(before the first card, {paper id: card}, after the last card)."""
        key = re.escape(self.key)
        found = list(re.finditer(f"<!--\\[{key}:card:(\\d+)\\]-->(.*?)<!--\\[{key}:/card\\]-->", region, re.S))
        if not found:
            return region, {}, ""
        return region[: found[0].start()], {int(m[1]): m[2] for m in found}, region[found[-1].end() :]


def _escape_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("\xa0", "&nbsp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attribute(value: str) -> str:
    return value.replace("&", "&amp;").replace("\xa0", "&nbsp;").replace('"', "&quot;")


@dataclass
class Part:
    """One rendered template (the HTML or the text part) cut at its markers, as format strings."""

    head: str
    picks_open: str
    picks: dict[int, str]  # paper id: its card, with a {url}
    picks_close: str
    personal_open: str
    personal: dict[int, tuple[str, str]]  # paper id: (its card with a {reason} line, without one)
    personal_close: str
    empty: str
    tail: str
    html: bool

    @classmethod
    def from_document(cls, document: str, *, cut: Cut, html: bool) -> "Part":
        head, picks, rest = cut.split(document, "picks")
        personal, empty, tail = cut.split(rest, "empty")
        picks_open, pick_cards, picks_close = cut.cards(picks)
        personal_open, cards, personal_close = cut.cards(personal)
        with_and_without = {}
        for paper_id, card in cards.items():
            before, reason, after = cut.split(card, "reason")
            with_and_without[paper_id] = (cut.format(before + reason + after), cut.format(before + after))
        return cls(
            head=cut.format(head),
            picks_open=cut.format(picks_open),
            picks={paper_id: cut.format(card) for paper_id, card in pick_cards.items()},
            picks_close=cut.format(picks_close),
            personal_open=cut.format(personal_open),
            personal=with_and_without,
            personal_close=cut.format(personal_close),
            empty=cut.format(empty),
            tail=cut.format(tail),
            html=html,
        )

    def _escaped(self, name: str, value: str) -> str:
        if not self.html:
            return value
        return _escape_attribute(value) if name in ATTRIBUTE_SLOTS else _escape_text(value)

    def fill(self, *, picks: list[tuple[int, str]], personal: list[tuple[int, str, str]], values: dict) -> str:
        """The reader's email: `picks` (paper id, url) and `personal` (paper id, url, reason) in their
        order, `values` for the slots outside the cards."""
        values = {name: self._escaped(name, value) for name, value in values.items()}
        out = [self.head.format_map(values)]
        if picks:
            out.append(self.picks_open.format_map(values))
            out += [self.picks[pid].format(url=self._escaped("url", url)) for pid, url in picks]
            out.append(self.picks_close.format_map(values))
        out.append(self.personal_open.format_map(values))
        for pid, url, reason in personal:
            with_reason, without = self.personal[pid]
            fields = {"url": self._escaped("url", url), "reason": self._escaped("reason", reason)}
            out.append((with_reason if reason else without).format_map(fields))
        out.append(self.personal_close.format_map(values))
        if not personal:
            out.append(self.empty.format_map(values))
        out.append(self.tail.format_map(values))
        return "".join(out)


@dataclass
class Parts:
    html: Part
    text: Part


def render_parts(*, context: dict, cut: Cut) -> Parts:
    """Both templates rendered once with every pick and paper in `context` (their urls, reasons and
    the reader's values as `cut.slot`s), the HTML inlined; then cut."""
    context = context | {"cut": cut.key}
    html = INLINER.inline(render_to_string("newsletters/email.html", context))
    text = render_to_string("newsletters/email.txt", context)
    return Parts(html=Part.from_document(html, cut=cut, html=True), text=Part.from_document(text, cut=cut, html=False))

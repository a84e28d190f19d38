"""The newsletter email: one edition per week (what every reader shares), personalised per reader.

The week's papers and the editors' picks are read once per batch (`edition_for`), and the email's
shared parts rendered and CSS-inlined once per edition (`Edition.parts`, apps/newsletters/parts.py);
a batch of readers then costs one query for their dismissals, one batch ranking, and for each reader
their signed links and the parts joined. CSS is written once in the template's <style> and inlined
by css-inline, because many mail clients drop <style>; the dark-mode and narrow-screen rules stay in
a kept <style> (media queries cannot be inlined).
"""

import functools
import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import make_msgid
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import dateformat, timezone

from apps.digests.notes import note_html
from apps.digests.selectors import rejected_paper_ids, week_picks
from apps.newsletters import tokens
from apps.newsletters.parts import Cut, Parts, render_parts
from apps.papers.models import Paper
from apps.papers.weeks import Week
from apps.recommendations.ranking import Ranked
from apps.recommendations.ranking.batch import rank_for_readers
from apps.recommendations.selectors import dismissed_by_reader

PAPER_FIELDS = ["id", "arxiv_id", "title", "authors_text", "abstract", "announced"]
# What the editors' preview shows for the reader's unsubscribe link: a live one would unsubscribe them.
PREVIEW_UNSUBSCRIBE_URL = "#unsubscribe-link-of-this-reader-not-shown-in-previews"


@dataclass
class Edition:
    """A week as every reader's email shares it: the digest page's papers and picks."""

    week: Week
    papers: dict[int, Paper]  # the week's papers (less rejected ones) and the picked papers
    picks: list[tuple[int, str, str]]  # (paper id, Markdown note, its safe HTML), in the editors' order
    ranked_ids: list[int]  # the week's papers that are not picks: ranked for each reader

    @functools.cached_property
    def parts(self) -> Parts:
        """The email's shared parts, rendered once for every reader of the edition."""
        week = self.week
        cut = Cut()
        slot = cut.slot
        picks = [Item(self.papers[pid], url=slot("url"), note=note, note_html=html) for pid, note, html in self.picks]
        personal = [Item(self.papers[pid], url=slot("url"), reason=slot("reason")) for pid in self.ranked_ids]
        context = {
            "week": week,
            "picks": picks,
            "personal": personal,
            "more": slot("more"),
            "digest_url": absolute(reverse("digests:week", args=[week.label])),
            "settings_url": absolute(reverse("accounts:settings")),
            "unsubscribe_url": slot("unsubscribe_url"),
            "sent_at": slot("sent_at"),
            "time_zone": slot("time_zone"),
            "site_url": settings.SITE_URL,
        }
        return render_parts(context=context, cut=cut)

    @functools.cached_property
    def _click_url(self) -> tuple[str, str]:
        return tuple(absolute(reverse("newsletters:click", args=["TOKEN"])).split("TOKEN"))

    def click_url(self, user_id: int, paper_id: int) -> str:
        """The signed link that records the reader's click, then shows the paper."""
        before, after = self._click_url
        return before + tokens.click_token(user_id=user_id, paper_id=paper_id, week=self.week.label) + after

    def paper_url(self, paper_id: int) -> str:
        return absolute(reverse("paper-detail", args=[self.papers[paper_id].arxiv_id]))


@dataclass
class Item:
    paper: Paper
    url: str  # the signed click URL
    reason: str = ""
    note: str = ""  # Markdown, for the text part
    note_html: str = ""


@dataclass
class Newsletter:
    subject: str
    text: str
    html: str
    unsubscribe_url: str
    headers: dict[str, str] = field(default_factory=dict)


def edition_for(week: Week, *, draft: bool = False) -> Edition:
    """The week as the digest page shows it: picks as frozen at publish (`draft`: the live ones, for
    the editors' preview), then the week's papers less the ones editors rejected."""
    papers = (
        Paper.objects.visible()
        .filter(announced__range=(week.monday, week.sunday))
        .exclude(id__in=rejected_paper_ids(week))
        .only(*PAPER_FIELDS)
    )
    papers = {paper.id: paper for paper in papers}
    picks = week_picks(week, draft=draft)
    papers |= Paper.objects.visible().only(*PAPER_FIELDS).in_bulk({pid for pid, _ in picks} - papers.keys())
    picks = [(pid, note, note_html(note)) for pid, note in picks if pid in papers]  # if not withdrawn since
    pinned = {pid for pid, _, _ in picks}
    return Edition(week=week, papers=papers, picks=picks, ranked_ids=[pid for pid in papers if pid not in pinned])


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _time_zone(user) -> zoneinfo.ZoneInfo:
    profile = getattr(user, "profile", None)
    try:
        return zoneinfo.ZoneInfo(profile.time_zone if profile else "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _more(more: int, *, html: bool) -> str:
    digest = "this week’s digest" if html else "this week's digest"
    if more:
        return f"{more} more paper{pluralize(more)} in {digest}"
    return f"Open {digest}" if html else "This week's digest"


def newsletter_for(*, edition: Edition, user, preview: bool = False) -> Newsletter:
    """One reader's email (the editors' preview; a batch uses `newsletters_for`).

    `preview`: links go straight to the papers, so an editor trying them is not counted as the
    reader's click, and the unsubscribe link is a placeholder an editor cannot unsubscribe them with.
    """
    return newsletters_for(edition=edition, users=[user], preview=preview)[user.pk]


def newsletters_for(*, edition: Edition, users: list, preview: bool = False) -> dict[int, Newsletter]:
    """Each reader's email: the editors' picks, then their top papers of the week, each with its reason.

    The readers' dismissals in one query, their rankings as one batch, and the email from the
    edition's parts (rendered once); only the links and the reader's lines are theirs.
    """
    dismissed = dismissed_by_reader(user_ids=[user.pk for user in users])
    rankings = rank_for_readers(
        users=users,
        paper_ids_by_reader={u.pk: [pid for pid in edition.ranked_ids if pid not in dismissed[u.pk]] for u in users},
    )
    return {
        user.pk: _newsletter(edition, user, dismissed[user.pk], rankings[user.pk][0], preview=preview) for user in users
    }


def _newsletter(edition: Edition, user, dismissed: set[int], ranked: list[Ranked], *, preview: bool) -> Newsletter:
    week = edition.week
    if preview:
        url = edition.paper_url
        unsubscribe_url = PREVIEW_UNSUBSCRIBE_URL
    else:
        url = functools.partial(edition.click_url, user.pk)
        unsubscribe_url = absolute(reverse("newsletters:unsubscribe", args=[tokens.unsubscribe_token(user=user)]))
    zone = _time_zone(user)
    picks = [(pid, url(pid)) for pid, _, _ in edition.picks if pid not in dismissed]
    personal = [(r.paper_id, url(r.paper_id), r.reason) for r in ranked[: settings.NEWSLETTER_TOP_N]]
    more = max(len(ranked) - len(personal), 0)
    values = {
        "unsubscribe_url": unsubscribe_url,
        "sent_at": dateformat.format(timezone.now().astimezone(zone), "l j F Y, H:i"),  # in the reader's zone
        "time_zone": zone.key,
    }
    parts = edition.parts
    return Newsletter(
        subject=f"Your RecSys papers, week of {week.monday:%-d %b %Y}",
        text=parts.text.fill(picks=picks, personal=personal, values=values | {"more": _more(more, html=False)}),
        html=parts.html.fill(picks=picks, personal=personal, values=values | {"more": _more(more, html=True)}),
        unsubscribe_url=unsubscribe_url,
        headers={
            # RFC 8058: mail clients show an unsubscribe button that POSTs here, no page visit needed.
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"Retriever weekly digest <digest.{settings.NEWSLETTER_LIST_DOMAIN}>",
        },
    )


def newsletter_message(*, newsletter: Newsletter, to: str, connection=None) -> EmailMultiAlternatives:
    headers = {"Message-ID": make_msgid("newsletter", domain=settings.NEWSLETTER_LIST_DOMAIN), **newsletter.headers}
    message = EmailMultiAlternatives(
        subject=newsletter.subject, body=newsletter.text, to=[to], headers=headers, connection=connection
    )
    message.attach_alternative(newsletter.html, "text/html")
    return message

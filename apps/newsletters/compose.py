"""The newsletter email: one edition per week (what every reader shares), personalised per reader.

The week's papers and the editors' picks are read once per batch (`edition_for`); each reader then
costs their dismissals, one ranking and two template renders. CSS is written once in the template's
<style> and inlined by css-inline, because many mail clients drop <style>; the dark-mode and
narrow-screen rules stay in a kept <style> (media queries cannot be inlined).
"""

import zoneinfo
from dataclasses import dataclass, field

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import make_msgid
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from apps.digests.notes import note_html
from apps.digests.selectors import rejected_paper_ids, week_picks
from apps.newsletters import tokens
from apps.papers.models import Paper
from apps.papers.weeks import Week
from apps.recommendations.ranking import rank_for_reader
from apps.recommendations.selectors import dismissed_paper_ids

PAPER_FIELDS = ["id", "arxiv_id", "title", "authors_text", "abstract", "announced"]
INLINER = css_inline.CSSInliner(load_remote_stylesheets=False)


@dataclass
class Edition:
    """A week as every reader's email shares it: the digest page's papers and picks."""

    week: Week
    papers: dict[int, Paper]  # the week's papers (less rejected ones) and the picked papers
    picks: list[tuple[int, str, str]]  # (paper id, Markdown note, its safe HTML), in the editors' order
    ranked_ids: list[int]  # the week's papers that are not picks: ranked for each reader


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


def newsletter_for(*, edition: Edition, user, track_clicks: bool = True) -> Newsletter:
    """The reader's email: the editors' picks, then their top papers of the week, each with its reason.

    `track_clicks=False` (the editors' preview): links go straight to the papers, so an editor
    trying them is not counted as the reader's click.
    """
    week = edition.week
    reader_zone = _time_zone(user)
    dismissed = set(dismissed_paper_ids(user=user).values_list("paper_id", flat=True))
    ranked, _ = rank_for_reader(user=user, paper_ids=[pid for pid in edition.ranked_ids if pid not in dismissed])

    def item(paper_id: int, **extra) -> Item:
        paper = edition.papers[paper_id]
        if not track_clicks:
            return Item(paper, url=absolute(reverse("paper-detail", args=[paper.arxiv_id])), **extra)
        token = tokens.click_token(user_id=user.pk, paper_id=paper_id, week=week.label)
        return Item(paper, url=absolute(reverse("newsletters:click", args=[token])), **extra)

    picks = [item(pid, note=note, note_html=html) for pid, note, html in edition.picks if pid not in dismissed]
    personal = [item(r.paper_id, reason=r.reason) for r in ranked[: settings.NEWSLETTER_TOP_N]]
    unsubscribe_url = absolute(reverse("newsletters:unsubscribe", args=[tokens.unsubscribe_token(user=user)]))
    context = {
        "week": week,
        "picks": picks,
        "personal": personal,
        "more": max(len(ranked) - len(personal), 0),
        "digest_url": absolute(reverse("digests:week", args=[week.label])),
        "settings_url": absolute(reverse("accounts:settings")),
        "unsubscribe_url": unsubscribe_url,
        "sent_at": timezone.now(),
        "time_zone": reader_zone.key,
        "site_url": settings.SITE_URL,
    }
    with timezone.override(reader_zone):  # times in the email read in the reader's own zone
        text = render_to_string("newsletters/email.txt", context)
        html = INLINER.inline(render_to_string("newsletters/email.html", context))
    return Newsletter(
        subject=f"Your RecSys papers, week of {week.monday:%-d %b %Y}",
        text=text,
        html=html,
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

"""The digest's cards from cached HTML fragments: what rendering 40 cards per request used to cost.

A card is three fragments around the reader's own lines (the editors' note, the reason, the score):
- the paper's head and abstract, the same for every reader: keyed by the paper's version and last
  change and by the serving generation (bumped whenever papers are stored or re-versioned), so a new
  version or a corrected title shows on the next load;
- its buttons, the same for every reader whose buttons are in the same states on the same page: keyed
  by the paper, the states and the page's path (the forms post it back as `next`), rendered with a
  CSRF placeholder that each response fills with its own token (apps.common.cached_html).
One cache round trip fetches a page's fragments; the missing ones are rendered and stored together.
"""

import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from apps.common.cached_html import placeholder_token
from apps.common.keys import DIGEST_CARD_ACTIONS_CACHE, DIGEST_CARD_PAPER_CACHE, cache_key
from apps.recommendations.selectors import Card

FRAGMENT_SECONDS = 24 * 60 * 60  # a backstop: the keys change whenever what they show does
SOURCE = "digest"


@dataclass
class PrerenderedCard(Card):
    head: str = ""
    abstract: str = ""
    actions: str = ""
    prerendered = True  # templates/digests/card.html shows the fragments instead of rendering them


def _paper_key(paper, *, serving: int, expanded: bool) -> str:
    changed = paper.modified_at.timestamp() if paper.modified_at else 0
    view = "expanded" if expanded else "compact"
    return cache_key(DIGEST_CARD_PAPER_CACHE, paper.pk, paper.version, changed, serving, view)


def _actions_key(card: Card, *, path_hash: str) -> str:
    return cache_key(DIGEST_CARD_ACTIONS_CACHE, card.paper.pk, "+".join(sorted(card.states)) or "-", path_hash)


def prerendered_cards(cards: list[Card], *, request, expanded: bool, serving: int) -> list[PrerenderedCard]:
    """`cards` with their fragments, from the cache where it has them (papers need `modified_at` loaded).

    `serving`: the serving generation the cards were read under.
    """
    signed_in = request.user.is_authenticated
    path = request.get_full_path()
    path_hash = hashlib.blake2b(path.encode(), digest_size=8).hexdigest()
    paper_keys = [_paper_key(card.paper, serving=serving, expanded=expanded) for card in cards]
    actions_keys = [_actions_key(card, path_hash=path_hash) for card in cards] if signed_in else []
    found = cache.get_many([*paper_keys, *actions_keys])
    rendered = {}
    for card, key in zip(cards, paper_keys):
        if key not in found and key not in rendered:
            context = {"paper": card.paper, "expanded": expanded}
            rendered[key] = (
                render_to_string("digests/_card_head.html", context),
                render_to_string("digests/_card_abstract.html", context),
            )
    for card, key in zip(cards, actions_keys):
        if key not in found and key not in rendered:
            context = {
                "paper": card.paper,
                "states": card.states,
                "source": SOURCE,
                "user": request.user,
                "request": request,
                **placeholder_token(),
            }
            rendered[key] = render_to_string("digests/_card_actions.html", context)
    if rendered:
        cache.set_many(rendered, FRAGMENT_SECONDS)
    fragments = {**found, **rendered}
    return [
        PrerenderedCard(
            card.paper,
            reason=card.reason,
            note=card.note,
            states=card.states,
            score=card.score,
            head=mark_safe(fragments[paper_key][0]),
            abstract=mark_safe(fragments[paper_key][1]),
            actions=mark_safe(fragments[actions_keys[i]]) if signed_in else "",
        )
        for i, (card, paper_key) in enumerate(zip(cards, paper_keys))
    ]


def with_fragments(digest, *, request, expanded: bool):
    """The digest page's picks and cards prerendered, in one cache round trip."""
    both = prerendered_cards([*digest.picks, *digest.cards], request=request, expanded=expanded, serving=digest.serving)
    digest.picks, digest.cards = both[: len(digest.picks)], both[len(digest.picks) :]
    return digest

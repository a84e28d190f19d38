from django import template

from apps.recommendations.selectors import reader_states

register = template.Library()


@register.inclusion_tag("recommendations/buttons.html", takes_context=True)
def paper_actions(context, paper, source: str):
    """The like/save/dismiss buttons of a single paper (one query); lists pass states in bulk instead."""
    request = context["request"]
    states = reader_states(user=request.user, paper_ids=[paper.id])
    return {
        "paper": paper,
        "states": states[paper.id],
        "source": source,
        "request": request,
        "user": request.user,
        "csrf_token": context.get("csrf_token"),
    }

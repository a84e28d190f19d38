from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.curation.permissions import editor_required
from apps.curation.selectors.operations import audit_entries
from apps.papers.weeks import Week

ACTIONS = [("decide", "decisions"), ("pick", "picks"), ("digest", "publishing"), ("job", "operations")]


@require_GET
@editor_required
def audit_log(request):
    try:
        week = Week.from_label(request.GET.get("week", ""))
    except ValueError:
        week = None
    action = request.GET.get("action", "")[:64]
    context = {"entries": audit_entries(week=week, action=action), "week": week, "action": action, "actions": ACTIONS}
    return render(request, "curation/audit.html", context)

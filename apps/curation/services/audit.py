from apps.curation.models import AuditEntry
from apps.papers.weeks import Week


def audit_record(
    *, actor, action: str, week: Week | None = None, target: str = "", before=None, after=None
) -> AuditEntry:
    """One row per editor action; call it inside the action's transaction, so both or neither are kept."""
    return AuditEntry.objects.create(
        actor=actor, action=action, week=week.monday if week else None, target=target[:300], before=before, after=after
    )

"""The digests' hooks for other apps. All are sent on commit, so receivers see the committed rows.

- `digest_published(sender=Digest, digest=...)`: once per publish, never twice for one press (the
  newsletters start from here).
- `digest_unpublished(sender=Digest, digest=...)`.
- `week_changed(sender=Digest, week=Week, revision=int)`: what readers see of a week changed (picks,
  notes, order, decisions, publish/unpublish). `revision` is the week's new Digest.revision; a cache of
  a week's digest can key on it (apps.digests.selectors.week_revision) or drop its entries here.
"""

from django.dispatch import Signal

digest_published = Signal()
digest_unpublished = Signal()
week_changed = Signal()

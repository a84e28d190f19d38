"""AccountEmail follows User.email, whoever saves the user (sign-up, the admin, a command); a reader's
kept pages follow their groups (an editor role shows or goes on their next page); signing in puts the
reader's time zone in the new session, and a profile save sends every session to read it again
(apps.accounts.time_zones)."""

import logging

from django.contrib.auth import get_user_model, user_logged_in
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_save, pre_delete
from django.dispatch import receiver

from apps.accounts.emails import normalized_email
from apps.accounts.models import AccountEmail, Profile
from apps.accounts.ratelimit import CACHE_ERRORS
from apps.accounts.time_zones import time_zone_load
from apps.common.generations import bump, reader_scope, time_zone_scope

logger = logging.getLogger(__name__)


@receiver(post_save, sender=get_user_model())
def account_email_follow(sender, instance, raw=False, **kwargs):
    if raw:  # loading fixtures: the fixture carries its own rows
        return
    if instance.email:
        # An IntegrityError here means the address belongs to another account: the caller's transaction
        # rolls back (user_signup turns it into EMAIL_TAKEN).
        AccountEmail.objects.update_or_create(user=instance, defaults={"normalized": normalized_email(instance.email)})
    else:
        AccountEmail.objects.filter(user=instance).delete()


def _pages_drop(user_ids) -> None:
    for user_id in user_ids:
        bump(reader_scope(user_id))


@receiver(m2m_changed, sender=get_user_model().groups.through)
def reader_groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """From either side: `user.groups.add(group)` (instance: the user) or `group.user_set.remove(user)`
    (instance: the group, pk_set: the users). A clear names no one, so its members are read before."""
    if action in ("post_add", "post_remove"):
        _pages_drop(pk_set if reverse else [instance.pk])
    elif action == "pre_clear":
        _pages_drop(instance.user_set.values_list("pk", flat=True) if reverse else [instance.pk])


@receiver(pre_delete, sender=Group)
def group_deleted(sender, instance, **kwargs):
    _pages_drop(instance.user_set.values_list("pk", flat=True))


@receiver(user_logged_in)
def time_zone_at_sign_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):  # the login writes the session anyway
        time_zone_load(request, user)


@receiver(post_save, sender=Profile)
def time_zone_saved(sender, instance, update_fields=None, raw=False, **kwargs):
    """Whoever saves it (settings, the admin, a command): the reader's sessions read the zone again."""
    if not raw and (update_fields is None or "time_zone" in update_fields):
        try:
            bump(time_zone_scope(instance.user_id))
        except CACHE_ERRORS:  # the save stands; sessions keep their zone until the next sign-in
            logger.warning("Cache unreachable: the reader's other sessions keep their time zone.", exc_info=True)

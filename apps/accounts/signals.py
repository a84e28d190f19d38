"""AccountEmail follows User.email, whoever saves the user (sign-up, the admin, a command)."""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save
from django.dispatch import receiver

from apps.accounts.emails import normalized_email
from apps.accounts.models import AccountEmail


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

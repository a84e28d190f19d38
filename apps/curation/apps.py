from django.apps import AppConfig
from django.db.models.signals import post_migrate


def editors_may_view_everything(sender, using="default", **kwargs):
    """The editors group reads every project model in the admin; changes go through the panel (audited).

    After every migrate, since permissions for new models only exist once post_migrate made them.
    """
    from django.contrib.auth.models import Group, Permission

    from apps.accounts.services import EDITORS_GROUP

    group = Group.objects.using(using).filter(name=EDITORS_GROUP).first()
    if group is not None:
        views = Permission.objects.using(using).filter(
            codename__startswith="view_", content_type__app_label__in=PROJECT_APP_LABELS
        )
        group.permissions.add(*views)


PROJECT_APP_LABELS = [
    "papers",
    "accounts",
    "embeddings",
    "recommendations",
    "digests",
    "curation",
    "newsletters",
    "seminars",
    "django_celery_beat",
]


class CurationConfig(AppConfig):
    name = "apps.curation"
    verbose_name = "Curation"

    def ready(self):
        # Every app's post_migrate, so models of apps listed after this one are covered too.
        post_migrate.connect(editors_may_view_everything, dispatch_uid="editors_may_view_everything")

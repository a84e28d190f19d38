from django.apps import AppConfig


class DigestsConfig(AppConfig):
    name = "apps.digests"
    verbose_name = "Digests"

    def ready(self):
        from apps.digests.receivers import warm_on_publish
        from apps.digests.signals import digest_published

        digest_published.connect(warm_on_publish, dispatch_uid="digests.warm_on_publish")

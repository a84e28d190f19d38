from django.apps import AppConfig


class NewslettersConfig(AppConfig):
    name = "apps.newsletters"
    verbose_name = "Newsletters"

    def ready(self):
        from apps.digests.signals import digest_published
        from apps.newsletters.receivers import start_on_publish

        digest_published.connect(start_on_publish, dispatch_uid="newsletters.start_on_publish")

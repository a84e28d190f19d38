from django.apps import AppConfig


class SeminarsConfig(AppConfig):
    name = "apps.seminars"
    verbose_name = "Seminars"

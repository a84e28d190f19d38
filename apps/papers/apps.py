from django.apps import AppConfig


class PapersConfig(AppConfig):
    name = "apps.papers"
    verbose_name = "Papers (the arXiv catalogue)"

from django.apps import AppConfig


class PapersConfig(AppConfig):
    name = "apps.papers"
    verbose_name = "Papers (the arXiv catalogue)"

    def ready(self):
        from django.urls import register_converter

        from apps.papers.converters import WeekConverter

        register_converter(WeekConverter, "week")

"""The admin beside the panel: every model reachable, useful lists, read-only models not addable."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from apps.accounts.services import demo_editor_ensure
from apps.curation.permissions import is_editor
from apps.recommendations.models import ModelVersion

pytestmark = pytest.mark.django_db
PROJECT_APPS = ["papers", "accounts", "embeddings", "recommendations", "digests", "curation", "newsletters", "seminars"]
READ_ONLY = [
    "papers.IngestRun",
    "recommendations.ModelVersion",
    "recommendations.Interaction",
    "recommendations.ItemVector",
    "embeddings.EmbeddingModel",
    "embeddings.PaperEmbedding",
    "digests.Pin",
    "digests.Digest",
    "digests.Decision",
    "curation.AuditEntry",
    "curation.Job",
]


def project_models():
    return [
        model
        for label in PROJECT_APPS
        if label in apps.app_configs
        for model in apps.get_app_config(label).get_models()
    ]


def test_every_project_model_is_in_the_admin():
    inlined = {inline.model for model_admin in admin.site._registry.values() for inline in model_admin.inlines}
    missing = [m.__name__ for m in project_models() if m not in admin.site._registry and m not in inlined]
    assert not missing


def test_every_changelist_renders_with_search_and_filters(admin_client):
    for model in project_models():
        if model not in admin.site._registry:
            continue
        model_admin = admin.site._registry[model]
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert admin_client.get(url).status_code == 200, url
        if model_admin.search_fields:
            assert admin_client.get(url, {"q": "x"}).status_code == 200, url
        assert model_admin.list_display != ("__str__",), f"{model.__name__} lists only its name"


@pytest.mark.parametrize("label", READ_ONLY)
def test_read_only_models_cannot_be_added_even_by_a_superuser(admin_client, label):
    model = apps.get_model(label)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    assert admin_client.get(url).status_code == 403
    changelist = admin_client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
    assert f"Add {model._meta.verbose_name}" not in changelist.content.decode()


def test_the_demo_editor_reads_the_admin_without_editing_it(client):
    call_command("migrate", "curation", verbosity=0)  # post_migrate grants the editors' view permissions
    email, _ = demo_editor_ensure()
    editor = get_user_model().objects.get(email=email)
    assert is_editor(editor) and not editor.is_superuser
    client.force_login(editor)
    ModelVersion.objects.create(status=ModelVersion.Status.ACTIVE)
    assert client.get(reverse("admin:recommendations_modelversion_changelist")).status_code == 200
    assert client.get(reverse("admin:papers_paper_add")).status_code == 403

"""A training run whose worker was stopped or crashed does not stay "training" for ever."""

import pytest

from apps.recommendations.models import ModelVersion
from apps.recommendations.services.training import STOPPED, model_version_train

pytestmark = pytest.mark.django_db


def test_the_next_training_marks_a_version_left_training_as_failed(settings, tmp_path):
    settings.RETRIEVER_MODEL_DIR = tmp_path
    orphan = ModelVersion.objects.create()  # its worker died mid-run: nothing will finish it
    assert orphan.status == ModelVersion.Status.TRAINING
    model_version_train()  # fails at once (no vectors), after looking at what was left
    orphan.refresh_from_db()
    assert orphan.status == ModelVersion.Status.FAILED and orphan.error == STOPPED
    assert orphan.finished_at is not None
    assert not ModelVersion.objects.filter(status=ModelVersion.Status.TRAINING).exists()

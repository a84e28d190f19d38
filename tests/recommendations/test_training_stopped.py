"""A training run whose worker was stopped or crashed does not stay "training" for ever: the next run,
the operations page and a starting worker each mark it failed, and none touches a run that is alive."""

import os
import signal
import subprocess
import sys

import pytest
from django.contrib.auth.models import Group

from apps.accounts.services import EDITORS_GROUP
from apps.common.keys import TRAINING_LOCK
from apps.common.locks import single_flight
from apps.recommendations.models import ModelVersion
from apps.recommendations.services.training import (
    STOPPED,
    model_version_train,
    stopped_versions_fail,
    training_alive,
)
from config.celery import app as celery_app
from tests.factories import UserFactory
from tests.newsletters.conftest import wait_for
from tests.newsletters.test_worker_crash import database_url_of_the_tests

pytestmark = pytest.mark.django_db
WORKER = """
from config.celery import app
app.worker_main(["worker", "--pool=solo", "--loglevel=WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"])
"""


def assert_stopped(version: ModelVersion) -> None:
    version.refresh_from_db()
    assert version.status == ModelVersion.Status.FAILED and version.error == STOPPED
    assert version.finished_at is not None


def test_the_next_training_marks_a_version_left_training_as_failed(settings, tmp_path):
    settings.RETRIEVER_MODEL_DIR = tmp_path
    orphan = ModelVersion.objects.create()  # its worker died mid-run: nothing will finish it
    assert orphan.status == ModelVersion.Status.TRAINING
    model_version_train()  # fails at once (no vectors), after looking at what was left
    assert_stopped(orphan)
    assert not ModelVersion.objects.filter(status=ModelVersion.Status.TRAINING).exists()


def test_a_version_left_training_is_failed_when_no_run_holds_the_lock_and_kept_while_one_does():
    version = ModelVersion.objects.create()
    with single_flight(TRAINING_LOCK, AssertionError("the lock is free in a test")):  # a run is alive
        assert training_alive()
        assert stopped_versions_fail() == 0
        version.refresh_from_db()
        assert version.status == ModelVersion.Status.TRAINING
    assert not training_alive()
    assert stopped_versions_fail() == 1
    assert_stopped(version)
    assert stopped_versions_fail() == 0


def test_the_operations_page_shows_a_stopped_workers_version_as_failed(client):
    editor = UserFactory(is_staff=True)
    editor.groups.add(Group.objects.get_or_create(name=EDITORS_GROUP)[0])
    orphan = ModelVersion.objects.create()
    client.force_login(editor)
    html = client.get("/curation/operations/").content.decode()
    assert_stopped(orphan)
    assert STOPPED in html


def test_a_starting_worker_fails_what_a_stopped_one_left_training(transactional_db):
    orphan = ModelVersion.objects.create()
    celery_app.control.purge()  # no queued training run may be what fails it
    env = {**os.environ, "DATABASE_URL": database_url_of_the_tests(), "DJANGO_SETTINGS_MODULE": "config.settings"}
    worker = subprocess.Popen([sys.executable, "-c", WORKER], env=env, start_new_session=True)
    try:
        assert wait_for(
            lambda: ModelVersion.objects.filter(pk=orphan.pk, status=ModelVersion.Status.FAILED).exists(), 90
        )
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)
    assert_stopped(orphan)

import datetime as dt

import pytest
from django.contrib.auth.models import Group

from apps.accounts.services import EDITORS_GROUP
from apps.papers.weeks import Week
from tests.factories import PaperFactory, UserFactory
from tests.recommendations.conftest import catalogue  # noqa: F401 (shared fixture: papers readers read)

WEEK = Week.from_label("2026-W26")  # Monday 22 June 2026


@pytest.fixture
def editor(db):
    user = UserFactory(email="editor@example.org", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=EDITORS_GROUP)[0])  # transactional tests flush migration data
    return user


@pytest.fixture
def reader(db):
    return UserFactory(email="reader@example.org")


@pytest.fixture
def superuser(db):
    return UserFactory(email="root@example.org", is_staff=True, is_superuser=True)


@pytest.fixture
def week_papers(db):
    return [PaperFactory(announced=WEEK.monday + dt.timedelta(days=i % 5), title=f"Week paper {i}") for i in range(4)]

import pytest
from django.core.cache import cache

from apps.recommendations import services
from apps.recommendations.models import Interaction


@pytest.fixture(autouse=True)
def fresh_cache():
    """The digest pages cache rankings: each test starts from what its own data says."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def signed_in_reader(django_user_model, client):
    user = django_user_model.objects.create_user("reader@example.org", "reader@example.org", "pw-123456789")
    client.force_login(user)
    return user


def act(user, paper, kind):
    services.interaction_toggle(user=user, paper=paper, kind=kind, source=Interaction.Source.DIGEST)

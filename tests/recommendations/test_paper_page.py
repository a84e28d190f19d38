import pytest

from apps.recommendations.models import Interaction
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def test_paper_page_has_buttons_bibtex_and_records_the_view(client, django_user_model):
    paper = PaperFactory(title="Two-tower {retrieval}", authors_text="Ada Lovelace, Alan Turing", doi="10.1145/1234")
    reader = django_user_model.objects.create_user("r@example.org", "r@example.org", "pw-123456789")
    client.force_login(reader)
    html = client.get(f"/papers/{paper.arxiv_id}/").content.decode()
    assert f'id="actions-{paper.id}"' in html and "♡ Like" in html
    assert "@misc{lovelace" in html and "author = {Ada Lovelace and Alan Turing}" in html
    assert "doi = {10.1145/1234}" in html
    view = Interaction.objects.get()
    assert (view.kind, view.source, view.paper) == ("view", "paper", paper)


def test_anonymous_visitors_see_the_page_and_are_invited_to_log_in(client):
    paper = PaperFactory()
    html = client.get(f"/papers/{paper.arxiv_id}/").content.decode()
    assert "to like, save or dismiss" in html and not Interaction.objects.exists()

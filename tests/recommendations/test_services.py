import pytest

from apps.recommendations import services
from apps.recommendations.models import Interaction
from apps.recommendations.selectors import library_papers, positive_papers, reader_states
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db
Kind, Source = Interaction.Kind, Interaction.Source


@pytest.fixture
def reader(django_user_model):
    return django_user_model.objects.create_user("reader@example.org", "reader@example.org", "pw-123456789")


def toggle(reader, paper, kind):
    return services.interaction_toggle(user=reader, paper=paper, kind=kind, source=Source.DIGEST)


def test_a_like_toggles_on_and_off(reader):
    paper = PaperFactory()
    assert toggle(reader, paper, Kind.LIKE) is True
    assert reader_states(user=reader, paper_ids=[paper.id])[paper.id] == {"like"}
    assert toggle(reader, paper, Kind.LIKE) is False
    assert not Interaction.objects.exists()


def test_dismissing_takes_back_likes_and_saves_and_the_other_way_round(reader):
    paper = PaperFactory()
    toggle(reader, paper, Kind.LIKE)
    toggle(reader, paper, Kind.SAVE)
    toggle(reader, paper, Kind.DISMISS)
    assert reader_states(user=reader, paper_ids=[paper.id])[paper.id] == {"dismiss"}
    toggle(reader, paper, Kind.SAVE)
    assert reader_states(user=reader, paper_ids=[paper.id])[paper.id] == {"save"}


def test_events_are_appended_and_states_refused_there(reader):
    paper = PaperFactory()
    services.interaction_record(user=reader, paper=paper, kind=Kind.VIEW, source=Source.SEARCH)
    services.interaction_record(user=reader, paper=paper, kind=Kind.VIEW, source=Source.SEARCH)
    assert Interaction.objects.filter(kind=Kind.VIEW).count() == 2
    with pytest.raises(ValueError):
        services.interaction_record(user=reader, paper=paper, kind=Kind.LIKE, source=Source.SEARCH)
    with pytest.raises(ValueError, match=services.NOT_A_STATE):
        services.interaction_toggle(user=reader, paper=paper, kind=Kind.VIEW, source=Source.SEARCH)


def test_library_and_history_read_the_readers_own_rows(reader, django_user_model):
    other = django_user_model.objects.create_user("other@example.org", "other@example.org", "pw-123456789")
    saved, liked, theirs = PaperFactory.create_batch(3)
    toggle(reader, liked, Kind.LIKE)
    toggle(reader, saved, Kind.SAVE)
    toggle(other, theirs, Kind.SAVE)
    assert list(library_papers(user=reader)) == [saved]
    assert positive_papers(user=reader) == {saved.id: "save", liked.id: "like"}


def test_deleting_a_reader_deletes_their_interactions(reader):
    toggle(reader, PaperFactory(), Kind.LIKE)
    reader.delete()
    assert not Interaction.objects.exists()


def test_following_a_paper_to_arxiv_is_recorded_for_readers_only(client, reader):
    paper = PaperFactory()
    anonymous = client.get(f"/open/{paper.arxiv_id}?source=digest")
    assert anonymous.status_code == 302 and anonymous.url == paper.abs_url and not Interaction.objects.exists()
    client.force_login(reader)
    client.get(f"/open/{paper.arxiv_id}?source=digest")
    opened = Interaction.objects.get()
    assert (opened.kind, opened.source, opened.paper) == ("open", "digest", paper)

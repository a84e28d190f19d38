"""The catalogue's physical layout, which keyword and filtered searches depend on for speed."""

import pytest
from django.db import connection

from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def test_a_papers_search_vector_stays_in_its_row_and_its_abstract_goes_out_of_line():
    # A real abstract's length: enough that the default layout would move the search vector out.
    paper = PaperFactory(abstract=" ".join(f"word{i} ranking recommendation" for i in range(200)))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_toast_chunk_id(search_vector), pg_column_toast_chunk_id(abstract) "
            "FROM papers_paper WHERE id = %s",
            [paper.pk],
        )
        vector_chunk, abstract_chunk = cursor.fetchone()
    assert vector_chunk is None and abstract_chunk is not None


def test_filters_of_nearest_neighbours_are_checked_from_the_covering_index():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'paper_filter_cover'")
        [definition] = cursor.fetchone()
    assert "INCLUDE (announced, withdrawn, categories)" in definition

"""paper_vectors_remembered: inside the block each paper's vector is read from the database once."""

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.embeddings.models import PaperEmbedding
from apps.embeddings.selectors import paper_vectors, paper_vectors_remembered
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def test_vectors_are_read_once_inside_the_block_and_papers_without_one_stay_absent():
    with_vector, without = PaperFactory(), PaperFactory()
    PaperEmbedding.objects.create(
        paper=with_vector, model_name="m", paper_version=1, vector=np.ones(384) / np.sqrt(384)
    )
    with paper_vectors_remembered():
        first = paper_vectors(paper_ids=[with_vector.pk, without.pk], model_name="m")
        with CaptureQueriesContext(connection) as queries:
            again = paper_vectors(paper_ids=[without.pk, with_vector.pk], model_name="m")
        assert len(queries) == 0
    assert list(first) == list(again) == [with_vector.pk]
    np.testing.assert_allclose(first[with_vector.pk], again[with_vector.pk])
    with CaptureQueriesContext(connection) as queries:
        paper_vectors(paper_ids=[with_vector.pk], model_name="m")  # outside the block: read every time
    assert len(queries) == 1

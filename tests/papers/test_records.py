import datetime as dt

import pytest

from apps.papers.records import InvalidRecord, announcement_date, from_snapshot, is_withdrawn, split_arxiv_id

UTC = dt.UTC


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("http://arxiv.org/abs/2501.01234v2", ("2501.01234", 2)),
        ("2501.01234", ("2501.01234", None)),
        ("https://arxiv.org/abs/2501.12345v11", ("2501.12345", 11)),
        ("http://arxiv.org/abs/hep-th/9901001v1", ("hep-th/9901001", 1)),
    ],
)
def test_split_arxiv_id(raw, expected):
    assert split_arxiv_id(raw) == expected


def test_split_arxiv_id_rejects_garbage():
    with pytest.raises(InvalidRecord):
        split_arxiv_id("http://example.com/not-a-paper")


@pytest.mark.parametrize(
    "submitted, announced",
    [
        (dt.datetime(2026, 11, 24, 15, 0, tzinfo=UTC), dt.date(2026, 11, 24)),  # Tue 10:00 ET, same evening
        (dt.datetime(2026, 11, 24, 20, 0, tzinfo=UTC), dt.date(2026, 11, 25)),  # Tue 15:00 ET, next deadline
        (dt.datetime(2026, 11, 27, 15, 0, tzinfo=UTC), dt.date(2026, 11, 29)),  # Fri morning ET -> Sunday
        (dt.datetime(2026, 11, 28, 12, 0, tzinfo=UTC), dt.date(2026, 11, 30)),  # Saturday -> Monday
    ],
)
def test_announcement_follows_the_arxiv_schedule(submitted, announced):
    assert announcement_date(submitted) == announced


def test_withdrawn_is_read_from_comment_or_abstract():
    assert is_withdrawn("This paper has been withdrawn by the authors", "")
    assert is_withdrawn("", "This submission has been withdrawn due to an error.")
    assert not is_withdrawn("12 pages, accepted at RecSys", "We study withdrawn items in catalogues.")


def test_snapshot_row_without_title_is_rejected(real_rows):
    row = dict(real_rows[0], title="  ")
    with pytest.raises(InvalidRecord):
        from_snapshot(row)

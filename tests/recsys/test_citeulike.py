"""bench/citeulike.py: CiteULike-a's files into the harness's format, on a three-paper fixture."""

import numpy as np
import pytest

from bench.citeulike import convert
from recsys.data import EVENT_CODE
from recsys.evaluate import load_dataset


def write_fixture(src):
    src.mkdir()
    (src / "users.dat").write_text("2 0 2\n3 2 1 0\n")
    (src / "tags.dat").write_text("complex-networks\nsmall_world\nbiology\n")
    (src / "item-tag.dat").write_text("2 0 1\n0\n1 2\n")
    (src / "raw-data.csv").write_text(
        '"doc.id","title","citeulike.id","raw.title","raw.abstract"\n'
        '0,"a","42","Collective dynamics of\n \'small-world\' networks","x"\n'
        '2,"c","44","Motifs, in brain networks","z"\n'
        '1,"b","43","The metabolic world of E. coli","y"\n'
    )


def embed(texts):
    """A stand-in for the text model: one fixed random unit vector per distinct text."""
    vectors = np.stack([np.random.default_rng(sum(map(ord, t))).normal(size=8) for t in texts])
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "title",
            [
                "Collective dynamics of 'small-world' networks",
                "The metabolic world of E. coli",
                "Motifs, in brain networks",
            ],
        ),
        ("tags", ["complex networks small world", "", "biology"]),
    ],
)
def test_libraries_and_texts_convert_for_the_harness(tmp_path, text, expected):
    write_fixture(tmp_path / "src")
    assert convert(tmp_path / "src", tmp_path / "out", text, embed) == (2, 3, 5)
    items, interactions = load_dataset(tmp_path / "out" / "items.jsonl", tmp_path / "out" / "interactions.csv")
    assert items.ids == ["0", "1", "2"]
    assert items.texts == expected
    np.testing.assert_allclose(items.embeddings, embed(expected), atol=1e-5)
    library = {(interactions.user_ids[u], items.ids[i]) for u, i in zip(interactions.users, interactions.items)}
    assert library == {("0", "0"), ("0", "2"), ("1", "2"), ("1", "1"), ("1", "0")}
    assert set(interactions.events) == {EVENT_CODE["view"]}  # every entry a positive


def test_a_library_whose_count_disagrees_is_refused(tmp_path):
    write_fixture(tmp_path / "src")
    (tmp_path / "src" / "users.dat").write_text("3 0 2\n")
    with pytest.raises(ValueError, match="users.dat:1: says 3 papers, lists 2"):
        convert(tmp_path / "src", tmp_path / "out", "tags", embed)
    assert not (tmp_path / "out").exists()

"""The model's item-item neighbours served beside the two towers: the digest, For you and newsletters
score reader . item + neighbours(history, paper); a checkpoint without them serves the inner product."""

import datetime as dt

import numpy as np
import pytest
import torch
from django.db import connection
from django.db.models import Q

from apps.digests.for_you import for_you_page
from apps.embeddings.selectors import active_model, paper_vectors
from apps.papers.models import Paper
from apps.recommendations import ranking
from apps.recommendations.models import Interaction, ModelVersion, ReaderVector
from apps.recommendations.ranking.archive import can_reach, is_narrow, rank_archive
from apps.recommendations.ranking.batch import rank_for_readers
from apps.recommendations.services import interaction_toggle
from apps.recommendations.services.training import checkpoint_extra, item_table, model_version_serve
from apps.search.queries import SearchFilters
from recsys.checkpoint import load_checkpoint, save_checkpoint
from recsys.data import EVENT_CODE
from recsys.model import History, ItemFeatures, ModelConfig, TwoTower
from recsys.neighbors import Neighbors
from tests.search.factories import one_topic_archive

pytestmark = pytest.mark.django_db
START = dt.date(2026, 1, 5)
RARE = Q(categories__contains=["cs.DL"])  # every tenth paper: 8 of 80
WEIGHT = 10.0  # over 3 liked papers, 3.3: beyond any gap between inner products here (unit vectors)


@pytest.fixture
def archive(settings, tmp_path):
    """80 embedded papers around one topic, one a day; every tenth also in cs.DL."""
    settings.RETRIEVER_MODEL_DIR = tmp_path
    settings.RETRIEVER_EXACT_WINDOW_ROWS = 20
    papers = one_topic_archive(
        80, start=START, categories=lambda i: ["cs.IR", "cs.DL"] if i % 10 == 0 else ["cs.IR"], seed=3
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the planner's estimate of a window's size decides the method
    return papers


@pytest.fixture
def reader(django_user_model, archive):
    reader = django_user_model.objects.create_user("reader", "reader@example.org", "pw-123456789")
    for paper in archive[1:4]:
        interaction_toggle(user=reader, paper=paper, kind="like", source="digest")
    return reader


def serve(
    tmp_path,
    links: dict[Paper, list[Paper] | dict[Paper, float]] | None = None,
    k: int = 2,
    max_len: int = 50,
    **model_config,
) -> ModelVersion:
    """An active version from one fixed (untrained) network reading `max_len` events (`model_config`:
    other ModelConfig fields); `links`: {paper: its neighbours}, each at WEIGHT or at the weight given,
    built by Neighbors.top_k over the catalogue rows they name, k per paper (None: a checkpoint without them)."""
    torch.manual_seed(0)
    model = TwoTower(ModelConfig(dim=16, hidden=32, max_len=max_len, **model_config)).eval()
    _, paper_ids = item_table()
    neighbors = None
    if links is not None:
        row = {pid: i for i, pid in enumerate(paper_ids)}
        kept = sorted({row[p.id] for p in links} | {row[n.id] for ns in links.values() for n in ns})
        at = {r: i for i, r in enumerate(kept)}
        s = np.zeros((len(kept), len(kept)), dtype=np.float32)
        for paper, targets in links.items():
            for target in targets:
                s[at[row[paper.id]], at[row[target.id]]] = targets[target] if isinstance(targets, dict) else WEIGHT
        neighbors = Neighbors.top_k(s, np.array(kept), n_items=len(paper_ids), k=k)
    version = ModelVersion.objects.create(status=ModelVersion.Status.READY)
    version.checkpoint = str(tmp_path / f"model-{version.pk}.pt")
    save_checkpoint(version.checkpoint, model, checkpoint_extra(paper_ids, {}, neighbors))
    version.save()
    return model_version_serve(version=version)


def dense_order(reader, paper_ids: list[int]) -> list[int]:
    """The papers by the inner product alone (the digest's ranking under a version without neighbours)."""
    ranked, method = ranking.rank_for_reader(user=reader, paper_ids=paper_ids)
    assert method == "two_tower"
    return [r.paper_id for r in ranked]


def test_a_paper_only_the_neighbours_raise_ranks_above_what_the_inner_product_prefers(archive, reader, tmp_path):
    candidates = [paper.id for paper in archive[4:]]
    serve(tmp_path)  # no neighbours: the inner product alone, as before
    dense = dense_order(reader, candidates)
    ranked, _ = ranking.rank_for_reader(user=reader, paper_ids=candidates)
    _, catalogue = item_table()
    # the history the user tower read, as catalogue rows, kept beside the vector
    assert ReaderVector.objects.get(user=reader).history_rows == [catalogue.index(p.id) for p in archive[1:4]]
    assert [r.score for r in ranked] == sorted(r.score for r in ranked)[::-1]

    last = Paper.objects.get(pk=dense[-1])  # what the dense part likes least
    serve(tmp_path, {archive[1]: [last]})  # one liked paper's neighbour
    ranked, method = ranking.rank_for_reader(user=reader, paper_ids=candidates)
    assert method == "two_tower"
    assert [r.paper_id for r in ranked] == [last.id, *dense[:-1]]  # raised to the top, the rest unchanged
    dense_score = {r.paper_id: r.score for r in ranking.rank_for_reader(user=reader, paper_ids=[last.id])[0]}
    assert ranked[0].score == pytest.approx(dense_score[last.id])  # the same sum, ranked alone

    batch = rank_for_readers(users=[reader], paper_ids_by_reader={reader.pk: candidates})  # newsletters
    assert [r.paper_id for r in batch[reader.pk][0]] == [r.paper_id for r in ranked]
    assert [r.score for r in batch[reader.pk][0]] == pytest.approx([r.score for r in ranked], abs=1e-5)


def test_the_sparse_part_is_the_historys_mean_weight(archive, reader, tmp_path):
    candidates = [paper.id for paper in archive[4:]]
    serve(tmp_path)
    before = {r.paper_id: r.score for r in ranking.rank_for_reader(user=reader, paper_ids=candidates)[0]}
    target = archive[40]
    serve(tmp_path, {archive[1]: [target], archive[2]: [target]})  # two of the three liked papers
    after = {r.paper_id: r.score for r in ranking.rank_for_reader(user=reader, paper_ids=candidates)[0]}
    assert after[target.id] == pytest.approx(before[target.id] + 2 * WEIGHT / 3, abs=1e-5)
    assert all(after[pid] == pytest.approx(before[pid], abs=1e-5) for pid in candidates if pid != target.id)


def test_the_neighbours_read_the_whole_library_not_the_towers_latest_events_nor_dismissed_papers(
    archive, reader, tmp_path
):
    candidates = [paper.id for paper in archive[4:]]
    interaction_toggle(user=reader, paper=archive[60], kind="dismiss", source="digest")
    # the tower reads the latest 2 events (archive[3]'s like, archive[60]'s dismissal), not archive[1]
    serve(tmp_path, max_len=2)
    before = {r.paper_id: r.score for r in ranking.rank_for_reader(user=reader, paper_ids=candidates)[0]}
    target = archive[40]
    serve(tmp_path, {archive[1]: [target], archive[60]: [target]}, max_len=2)
    after = {r.paper_id: r.score for r in ranking.rank_for_reader(user=reader, paper_ids=candidates)[0]}
    _, catalogue = item_table()
    assert sorted(ReaderVector.objects.get(user=reader).history_rows) == sorted(
        catalogue.index(p.id) for p in archive[1:4]
    )
    # the oldest liked paper's weight over the three liked papers; the dismissed one adds nothing
    assert after[target.id] == pytest.approx(before[target.id] + WEIGHT / 3, abs=1e-5)


def test_a_mean_of_positives_serves_the_vector_of_the_whole_library_not_of_the_latest_events(archive, reader, tmp_path):
    interaction_toggle(user=reader, paper=archive[1], kind="save", source="digest")  # read twice: once in the library
    interaction_toggle(user=reader, paper=archive[60], kind="dismiss", source="digest")
    # the latest 2 events are archive[1]'s save and archive[60]'s dismissal; the library is archive[1:4]
    version = serve(tmp_path, max_len=2, user_encoder="mean", mean_of_positives=True, library=True)
    ranking.rank_for_reader(user=reader, paper_ids=[paper.id for paper in archive[4:]])
    model, _ = load_checkpoint(version.checkpoint)
    _, catalogue = item_table()
    text = paper_vectors(paper_ids=[p.id for p in archive[:61]], model_name=active_model().name)

    def vector(papers, kinds):
        rows = torch.tensor([catalogue.index(p.id) for p in papers])
        features = ItemFeatures(rows, torch.as_tensor(np.stack([text[p.id] for p in papers])))
        history = History(features, torch.tensor([EVENT_CODE[kind] for kind in kinds]), torch.arange(len(papers)))
        return model.user_vector(history).numpy()

    served = np.asarray(ReaderVector.objects.get(user=reader).vector)[: model.config.dim]
    np.testing.assert_allclose(
        served, vector([archive[2], archive[3], archive[1]], ["like", "like", "save"]), atol=1e-5
    )
    assert not np.allclose(served, vector([archive[1], archive[60]], ["save", "dismiss"]), atol=1e-3)


def test_for_you_ranks_neighbour_candidates_within_the_window_and_without_dismissed_papers(archive, reader, tmp_path):
    serve(tmp_path)
    visible = [paper.id for paper in archive]
    dense = dense_order(reader, visible)
    dense_top, _ = rank_archive(user=reader, paper_filter=Q(), depth=5)
    rare = [pid for pid in dense if Paper.objects.filter(RARE, pk=pid).exists()]
    last_rare = Paper.objects.get(pk=rare[-1])  # far below the walk's top 5, and in cs.DL
    assert last_rare.id not in dense_top

    serve(tmp_path, {archive[2]: [last_rare]})
    ranked, method = rank_archive(user=reader, paper_filter=Q(), depth=5)
    assert method == "two_tower" and ranked == [last_rare.id, *dense_top[:4]]
    # a narrow window is ranked exactly, and the neighbours join it the same way
    assert is_narrow(RARE)
    narrow, _ = rank_archive(user=reader, paper_filter=RARE, depth=3)
    assert narrow == [last_rare.id, *rare[:2]]
    # outside the window, or dismissed: never brought back by the neighbours
    outside, _ = rank_archive(user=reader, paper_filter=~RARE, depth=5)
    assert last_rare.id not in outside and len(outside) == 5
    interaction_toggle(user=reader, paper=last_rare, kind="dismiss", source="digest")
    after_dismissal, _ = rank_archive(user=reader, paper_filter=Q(), depth=5)
    assert last_rare.id not in after_dismissal and len(after_dismissal) == 5


def test_for_you_pages_neighbour_candidates_without_repeats(archive, reader, tmp_path, monkeypatch):
    from apps.digests import for_you

    serve(tmp_path)
    dense = dense_order(reader, [paper.id for paper in archive[5:]])  # the window's papers
    raised = [Paper.objects.get(pk=pid) for pid in dense[-3:]]
    serve(tmp_path, {archive[1]: raised[:2], archive[3]: raised[2:]})
    monkeypatch.setattr(for_you, "FIRST_DEPTH", 10)  # the snapshot deepens 10, 20, 40, 80: the union each time
    filters = SearchFilters(date_from=START + dt.timedelta(days=5))
    shown, new, page = [], [], 1
    while page:
        result = for_you_page(user=reader, filters=filters, page=page)
        shown += [card.paper.id for card in result.cards]
        new += [card.paper.id for card in result.new or []]  # the first page's "New for you" slot
        page = result.next_page
    assert new and len(shown + new) == len(set(shown + new)) == 75  # every paper in the window once
    assert set(shown[:3]) == {paper.id for paper in raised}


def test_a_like_changes_the_next_pages_through_the_neighbours_and_taking_it_back_restores_them(
    archive, reader, tmp_path
):
    from apps.digests.selectors import digest_for_reader
    from apps.papers.weeks import Week

    week = Week.containing(archive[60].announced)
    in_week = [p.id for p in archive if week.monday <= p.announced <= week.sunday]
    serve(tmp_path)
    trigger, raised = archive[50], Paper.objects.get(pk=dense_order(reader, in_week)[-1])
    serve(tmp_path, {trigger: [raised]})

    def first_cards() -> tuple[list[int], list[int]]:
        """The first page of For you, and of the week's digest (cached per reader)."""
        for_you = [card.paper.id for card in for_you_page(user=reader, filters=SearchFilters()).cards]
        return for_you, [card.paper.id for card in digest_for_reader(user=reader, week=week).cards]

    before = first_cards()
    assert raised.id not in before[0] and before[1][-1] == raised.id

    interaction_toggle(user=reader, paper=trigger, kind="like", source="digest")
    for_you, digest = first_cards()
    assert for_you[0] == raised.id and digest[0] == raised.id

    interaction_toggle(user=reader, paper=trigger, kind="like", source="digest")  # taken back
    assert first_cards() == before


def test_training_keeps_the_neighbours_in_the_checkpoint_and_out_of_the_versions_history(catalogue, monkeypatch):
    from apps.recommendations.ranking import two_tower
    from apps.recommendations.services import training
    from recsys.checkpoint import load_checkpoint
    from tests.recommendations.test_training import QUICK

    made = {}

    def train_with_neighbours(items, interactions, config):  # as recsys.train.train returns them
        model, history = real_train(items, interactions, config)
        s = np.array([[0.0, 0.7], [0.4, 0.0]], dtype=np.float32)
        made["neighbors"] = history["neighbors"] = Neighbors.top_k(s, np.array([0, 5]), n_items=len(items), k=1)
        return model, history

    real_train = training.train
    monkeypatch.setattr(training, "train", train_with_neighbours)
    version = training.model_version_train(overrides=QUICK)
    assert version.status == ModelVersion.Status.ACTIVE, version.error
    _, extra = load_checkpoint(version.checkpoint)
    stored = Neighbors.from_extra(extra["neighbors"])
    assert np.array_equal(stored.dense()[0], made["neighbors"].dense()[0]) and stored.dense()[0][0].tolist() == [5]
    assert "neighbors" not in extra["history"] and "neighbors" not in str(version.history)
    assert two_tower._model(version.pk, version.checkpoint).neighbors is not None


def test_an_interaction_deleted_in_the_admin_leaves_no_stale_reader_vector(archive, reader, tmp_path, admin_client):
    from django.urls import reverse

    from apps.recommendations.models import Interaction

    serve(tmp_path)
    dense = dense_order(reader, [paper.id for paper in archive])
    trigger, raised = archive[50], Paper.objects.get(pk=dense[-1])
    serve(tmp_path, {trigger: [raised]})
    before, _ = rank_archive(user=reader, paper_filter=Q(), depth=5)
    interaction_toggle(user=reader, paper=trigger, kind="like", source="digest")
    assert rank_archive(user=reader, paper_filter=Q(), depth=5)[0][0] == raised.id

    like = Interaction.objects.get(user=reader, paper=trigger)  # a reader's request to forget it
    url = reverse("admin:recommendations_interaction_delete", args=[like.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not ReaderVector.objects.filter(user=reader).exists()
    assert rank_archive(user=reader, paper_filter=Q(), depth=5)[0] == before


def every_paper_scored(reader, paper_filter: Q) -> list[int]:
    """The unpruned ranking: every paper in the window the reader has not dismissed, each scored by the
    digest's ranking (inner product + neighbours, in numpy), best first."""
    dismissed = set(Interaction.objects.filter(user=reader, kind="dismiss").values_list("paper_id", flat=True))
    window = [pid for pid in Paper.objects.filter(paper_filter).values_list("id", flat=True) if pid not in dismissed]
    ranked, method = ranking.rank_for_reader(user=reader, paper_ids=window)
    assert method == "two_tower"
    return [r.paper_id for r in sorted(ranked, key=lambda r: (-r.score, r.paper_id))]


@pytest.fixture
def many_neighbours(archive, reader, tmp_path):
    """Each liked paper raises 40 papers, by weights from a small fraction of the inner products'
    spread to well beyond it: some candidates belong on the page, most cannot reach it."""
    serve(tmp_path)
    inner = {r.paper_id: r.score for r in ranking.rank_for_reader(user=reader, paper_ids=[p.id for p in archive])[0]}
    spread = max(inner.values()) - min(inner.values())
    rng = np.random.default_rng(7)
    links = {
        liked: {
            archive[i]: float(w)
            for i, w in zip(rng.choice(np.arange(4, 80), 40, replace=False), rng.exponential(spread, 40))
        }
        for liked in archive[1:4]
    }
    serve(tmp_path, links, k=40)
    return inner


@pytest.fixture
def pruning(monkeypatch):
    """Each call of archive.can_reach: (candidates beyond the walk, how many it let through)."""
    from apps.recommendations.ranking import archive

    calls, real = [], archive.can_reach

    def counted(sums, floor, lifts, depth):
        reach = real(sums, floor, lifts, depth)
        calls.append((len(lifts), int(reach.sum())))
        return reach

    monkeypatch.setattr(archive, "can_reach", counted)
    return calls


def test_pruned_neighbour_candidates_give_the_page_that_scoring_every_paper_gives(
    settings, archive, reader, many_neighbours, pruning
):
    settings.RETRIEVER_EXACT_WINDOW_ROWS = 1000  # every window is ranked exactly: no walk's approximation
    windows = {"everything": Q(announced__gte=START), "cs.IR only": ~RARE, "cs.DL": RARE}
    for depth in range(1, 25):
        for name, window in windows.items():
            ranked, method = rank_archive(user=reader, paper_filter=window, depth=depth)
            assert method == "two_tower"
            assert ranked == every_paper_scored(reader, window)[:depth], (name, depth)
    beyond, read = map(sum, zip(*pruning))
    assert read < beyond / 2  # most candidates beyond the walk were never read
    # the neighbours put papers on the first page that the inner product alone ranks far below it
    page = rank_archive(user=reader, paper_filter=Q(announced__gte=START), depth=5)[0]
    by_inner = sorted(many_neighbours, key=lambda pid: -many_neighbours[pid])
    assert any(by_inner.index(pid) >= 10 for pid in page)

    interaction_toggle(user=reader, paper=Paper.objects.get(pk=page[0]), kind="dismiss", source="digest")
    for name, window in windows.items():
        ranked, _ = rank_archive(user=reader, paper_filter=window, depth=5)
        assert ranked == every_paper_scored(reader, window)[:5] and page[0] not in ranked, name


def test_through_the_walk_pruning_changes_no_page(archive, reader, many_neighbours, pruning, monkeypatch):
    """The HNSW walk may miss a node (inner products are no metric), so the reference is the same walk
    with every neighbour candidate read, as before pruning."""
    from apps.recommendations.ranking import archive as archive_module

    pruned = {depth: rank_archive(user=reader, paper_filter=Q(), depth=depth)[0] for depth in range(1, 25)}
    assert pruning and sum(read for _, read in pruning) < sum(beyond for beyond, _ in pruning)
    monkeypatch.setattr(archive_module, "can_reach", lambda sums, floor, lifts, depth: np.ones(len(lifts), bool))
    assert pruned == {depth: rank_archive(user=reader, paper_filter=Q(), depth=depth)[0] for depth in range(1, 25)}


def test_can_reach_keeps_every_paper_of_the_true_top():
    """Scores of a 2,000-paper catalogue: the walk's top 2 x depth by inner product, the neighbours'
    part on a few hundred papers; the pruned union's top `depth` is the catalogue's."""
    rng = np.random.default_rng(0)
    kept = total = 0
    for trial in range(200):
        depth = int(rng.integers(1, 60))
        inner = rng.standard_normal(2000)
        lift = np.zeros(2000)
        raised = rng.choice(2000, 300, replace=False)
        lift[raised] = rng.exponential(rng.choice([0.05, 0.5, 2.0]), 300) * (rng.random(300) < 0.8)
        lift = lift.astype(np.float32).astype(np.float64)  # as served: float32 parts
        if trial % 10 == 0:
            inner = np.round(inner, 1)  # ties: decided by the smaller id, as the ranking does
        best = np.lexsort((np.arange(2000), -(inner + lift)))[:depth]
        walk = np.lexsort((np.arange(2000), -inner))[: 2 * depth]
        beyond = np.setdiff1d(raised, walk)
        reach = can_reach((inner + lift)[walk], inner[walk].min(), lift[beyond].astype(np.float32), depth)
        union = np.concatenate([walk, beyond[reach]])
        got = union[np.lexsort((union, -(inner + lift)[union]))[:depth]]
        assert got.tolist() == best.tolist(), trial
        kept, total = kept + reach.sum(), total + len(beyond)
    assert kept < total / 2  # and it prunes
    assert can_reach(np.array([1.0]), 0.0, np.array([5.0, 0.0]), depth=2).tolist() == [True, True]  # short walk


def test_a_candidate_just_beyond_the_walk_that_just_reaches_the_page_is_read(settings, archive, reader, tmp_path):
    """The tightest case of the bound: the paper right after the walk's last, lifted by the neighbours
    a hair above the depth-th paper. Pruned with any smaller lift or lower bound, it would be lost."""
    from apps.recommendations.ranking.archive import NEIGHBOUR_WALK

    settings.RETRIEVER_EXACT_WINDOW_ROWS = 1000  # exact: the walk's last is exactly the 2 x depth-th
    everything = Q(announced__gte=START)
    serve(tmp_path)
    inner = {r.paper_id: r.score for r in ranking.rank_for_reader(user=reader, paper_ids=[p.id for p in archive])[0]}
    by_inner = sorted(inner, key=lambda pid: -inner[pid])  # liked papers too: For you leaves out dismissed ones
    papers = Paper.objects.in_bulk(by_inner)
    for depth in (1, 2, 5, 9):
        target, last = by_inner[NEIGHBOUR_WALK * depth], by_inner[depth - 1]
        gap = inner[last] - inner[target]
        serve(tmp_path, {archive[1]: {papers[target]: 3 * (gap * 1.001 + 1e-5)}})  # 3 liked: a third of it
        ranked, _ = rank_archive(user=reader, paper_filter=everything, depth=depth)
        assert ranked[-1] == target and ranked == every_paper_scored(reader, everything)[:depth], depth

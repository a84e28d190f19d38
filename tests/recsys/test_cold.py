import numpy as np
import torch

from recsys import cold
from recsys.cold import NewPapers, is_new, read_rows, text_profile
from recsys.data import EVENT_CODE, Interactions, ItemTable
from recsys.evaluate import fit_two_tower
from recsys.metrics import ranking_metrics
from recsys.model import History, ItemFeatures, ModelConfig
from recsys.splits import Split
from recsys.train import TrainConfig, loop, train

TOPICS, PER_TOPIC, NEW_PER_TOPIC, READERS_PER_TOPIC = 6, 10, 3, 20


def topics(seed: int = 0):
    """Papers in topics, their text the topic's direction plus noise. Each reader reads 4 of their topic's
    shared papers and one of their own that nobody else reads (the long tail: a validation reader's own
    paper is one the model never saw read). The last NEW_PER_TOPIC shared papers of each topic nobody
    read in training: each reader's held-out papers are those of their topic."""
    rng = np.random.default_rng(seed)
    n_readers = TOPICS * READERS_PER_TOPIC
    topic_of = np.r_[np.repeat(np.arange(TOPICS), PER_TOPIC), np.arange(n_readers) % TOPICS]  # shared, then own
    text = np.eye(TOPICS, 8)[topic_of] + 0.3 * rng.standard_normal((len(topic_of), 8))
    text /= np.linalg.norm(text, axis=1, keepdims=True)
    users, items = [], []
    for reader in range(n_readers):
        topic = reader % TOPICS
        read = rng.choice(PER_TOPIC - NEW_PER_TOPIC, 4, replace=False) + topic * PER_TOPIC
        users += [reader] * 5
        items += [*read.tolist(), TOPICS * PER_TOPIC + reader]
    inter = Interactions(
        np.array(users),
        np.array(items),
        np.arange(len(users)),
        np.full(len(users), EVENT_CODE["view"]),
        [f"u{u}" for u in range(n_readers)],
    )
    catalogue = ItemTable([f"p{i}" for i in range(len(text))], text.astype(np.float32))
    new = np.array([t * PER_TOPIC + PER_TOPIC - 1 - j for t in range(TOPICS) for j in range(NEW_PER_TOPIC)])
    return catalogue, inter, new


def app_like_config(**overrides) -> TrainConfig:
    model = ModelConfig(
        item_ids=True,
        input_ids=True,
        id_dropout=0.25,
        dim=4,
        hidden=16,
        max_len=8,
        user_encoder="mean",
        user_layer_norm=False,
        normalize=False,
        normalize_items=False,
    )
    defaults = {"ease_lambda": 1.0, "neighbors": 4, "epochs": 0, "val_fraction": 0.2}
    return TrainConfig(
        model=model, objective="library", id_init="ease", device="cpu", progress=False, **{**defaults, **overrides}
    )


def test_text_profile_is_the_unit_mean_of_unit_vectors():
    profile = text_profile(np.array([[3.0, 0.0], [0.0, 1.0]]))
    np.testing.assert_allclose(profile, [2**-0.5, 2**-0.5], rtol=1e-6)
    assert text_profile(np.zeros((0, 3))).tolist() == [0.0, 0.0, 0.0]


def test_the_lift_is_in_the_readers_units_and_none_lifts_nothing():
    rule = NewPapers(text_weight=2.0, offset=-0.5)
    np.testing.assert_allclose(rule.lift(np.array([0.5, 1.0]), 10.0), [5.0, 15.0])
    assert not NewPapers() and rule
    assert (
        NewPapers.from_extra(None) == NewPapers() and NewPapers.from_extra({"text_weight": 2.0, "offset": -0.5}) == rule
    )


def test_new_papers_are_rows_nobody_read_and_papers_newer_than_the_model():
    read = np.array([True, False, True])
    assert is_new(read, np.array([0, 1, 2, -1])).tolist() == [False, True, False, True]


def reader_scores(model, neighbors, rule: NewPapers, catalogue: ItemTable, history_rows) -> np.ndarray:
    """What serving computes for one reader, from the public API: user_vector . item_vector, the
    neighbours' part, and the new papers' lift from the text profile of the history."""
    text = torch.as_tensor(catalogue.embeddings)
    features = ItemFeatures(torch.as_tensor(history_rows), text[history_rows])
    user = model.user_vector(
        History(features, torch.full((len(history_rows),), EVENT_CODE["view"]), torch.arange(len(history_rows)))
    )
    vectors = model.item_vectors(ItemFeatures(torch.arange(len(catalogue)), text))
    scores = (vectors @ user).numpy() + neighbors.scores(history_rows, np.arange(len(catalogue)))
    new = is_new(read_rows(model), np.arange(len(catalogue)))
    cosine = catalogue.embeddings @ text_profile(catalogue.embeddings[history_rows])
    return scores + new * rule.lift(cosine, float(user.norm()))


def test_training_chooses_a_lift_that_shows_new_papers_and_the_harness_serves_it():
    catalogue, inter, new = topics()
    readers = np.arange(inter.n_users)
    held_out = [new[(new // PER_TOPIC) == reader % TOPICS] for reader in readers]
    seen = [inter.items[inter.users == reader] for reader in readers]
    data = Split(inter, readers, held_out, seen)
    score, trained = fit_two_tower(app_like_config(), data, catalogue, seed=0)
    rule = trained["new_papers"]
    assert rule and trained["new_papers_val_targets"] > 0
    model, again = train(catalogue, inter, app_like_config())  # the same run: deterministic on the CPU
    assert again["new_papers"] == rule
    served = np.stack([reader_scores(model, again["neighbors"], rule, catalogue, rows) for rows in seen])
    np.testing.assert_allclose(score(readers).numpy(), served, rtol=1e-4, atol=1e-4)
    unlifted = np.stack([reader_scores(model, again["neighbors"], NewPapers(), catalogue, rows) for rows in seen])

    def new_figures(scores):
        metrics = ranking_metrics(
            lambda r: torch.as_tensor(scores[r]), readers, held_out, seen, len(catalogue), ks=(3, 10), cold=new
        )
        return metrics["cold_recall@10"], metrics["new_recall@3"]

    # shown among every paper (For you) and ranked among the new ones only (a week's digest)
    (cold, among_new), (cold_unlifted, among_new_unlifted) = new_figures(served), new_figures(unlifted)
    assert cold > cold_unlifted + 0.1 and among_new > among_new_unlifted + 0.1


def test_the_offset_is_evaluated_for_the_chosen_weight_alone_and_the_choice_is_the_same(monkeypatch):
    """choose() picks the text weight first, then evaluates the offsets for it only: the rule and the
    offsets' figures are those of a choice offered that weight alone, which is what evaluating every
    offset for every weight and keeping the chosen weight's gave."""
    calls = []

    def recording(*args, **kwargs):
        calls.append((args, kwargs))
        return cold.choose(*args, **kwargs)

    monkeypatch.setattr(loop, "choose_new_papers", recording)
    catalogue, inter, _ = topics()
    # no refit: it would fit the model choose() was called with again, on every reader
    _, trained = train(catalogue, inter, app_like_config(refit=False))
    ((args, kwargs),) = calls
    rule, measured = cold.choose(*args, **kwargs)
    assert rule == trained["new_papers"] and rule
    among_new = measured["new_papers_val_hit@20_among_new"]
    assert rule.text_weight == max(cold.TEXT_WEIGHTS, key=lambda w: (among_new[f"{w:g}"], -w))
    weights = cold.TEXT_WEIGHTS
    for weight in weights:
        monkeypatch.setattr(cold, "TEXT_WEIGHTS", (weight,))
        alone, alone_measured = cold.choose(*args, **kwargs)
        assert alone_measured["new_papers_val_hit@20_among_new"] == {f"{weight:g}": among_new[f"{weight:g}"]}
        if weight == rule.text_weight:
            assert alone == rule
            for figure in ("new_papers_val_hit@20", "new_papers_val_read_hit@20", "new_papers_val_targets"):
                assert alone_measured[figure] == measured[figure]

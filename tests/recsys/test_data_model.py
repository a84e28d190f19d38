"""Sequences, the model's shapes and causality, checkpoints, splits, metrics, and no Django."""

import subprocess
import sys

import numpy as np
import torch

from recsys.checkpoint import load_checkpoint, save_checkpoint
from recsys.data import EVENT_CODE, Interactions, last_histories, training_sequences
from recsys.metrics import ranking_metrics
from recsys.model import History, ItemFeatures, ModelConfig, TwoTower
from recsys.splits import split


def toy_interactions(n_users=3, per_user=7, n_items=20):
    rng = np.random.default_rng(0)
    users = np.repeat(np.arange(n_users), per_user)
    items = rng.integers(0, n_items, len(users))
    times = rng.permutation(len(users)) * 100  # shuffled: the code must sort
    events = np.full(len(users), EVENT_CODE["view"])
    events[::5] = EVENT_CODE["present"]
    return Interactions(users, items, times, events, [f"u{u}" for u in range(n_users)])


def test_training_windows_cover_every_event_once_as_target():
    inter = toy_interactions()
    seqs = training_sequences(inter, max_len=3)
    kept = inter.events != EVENT_CODE["present"]
    per_user = np.bincount(inter.users[kept])
    assert int((seqs["items"][:, 1:] >= 0).sum()) == int((per_user - 1).sum())
    # windows are time-ordered: user 0's items in order of time
    order = np.argsort(inter.timestamps[kept & (inter.users == 0)])
    expected = inter.items[kept & (inter.users == 0)][order]
    first = seqs["items"][seqs["users"] == 0]
    rebuilt = torch.cat([first[0]] + [row[1:] for row in first[1:]])
    assert rebuilt[rebuilt >= 0].tolist() == expected.tolist()


def test_last_histories_are_the_latest_events():
    inter = toy_interactions()
    hist = last_histories(inter, max_len=4)
    kept = (inter.users == 1) & (inter.events != EVENT_CODE["present"])
    latest = inter.items[kept][np.argsort(inter.timestamps[kept])][-4:]
    assert hist["items"][1, : hist["lengths"][1]].tolist() == latest.tolist()


def test_user_tower_is_causal_and_checkpoint_round_trips(tmp_path):
    torch.manual_seed(0)
    for encoder in ("attention", "transformer", "mean"):
        model = TwoTower(ModelConfig(text_dim=8, id_buckets=16, dim=8, max_len=6, user_encoder=encoder)).eval()
        catalogue = ItemFeatures(torch.arange(16), torch.randn(16, 8))
        items = torch.randint(0, 16, (2, 6))
        events, gaps = torch.full((2, 6), 2), torch.zeros(2, 6, dtype=torch.long)
        q1, _, _ = model(items, events, gaps, catalogue)
        changed = items.clone()
        changed[:, -2] = (changed[:, -2] + 1) % 16  # alter the last input step only
        q2, _, _ = model(changed, events, gaps, catalogue)
        assert torch.allclose(q1[:, :-1], q2[:, :-1], atol=1e-6) and not torch.allclose(q1[:, -1], q2[:, -1])
        history = History(catalogue[items[0, :3]], events[0, :3], torch.tensor([0, 50, 4000]))
        save_checkpoint(tmp_path / "m.pt", model, {"note": "x"})
        loaded, extra = load_checkpoint(tmp_path / "m.pt")
        assert extra == {"note": "x"} and loaded.config == model.config
        assert torch.allclose(model.user_vector(history), loaded.user_vector(history))
        assert torch.allclose(model.item_vectors(catalogue), loaded.item_vectors(catalogue))
        assert model.item_vectors(catalogue).shape == (16, 8)


def test_unseen_items_score_from_text_alone():
    model = TwoTower(ModelConfig(text_dim=8, id_buckets=32, dim=8)).eval()
    # id rows start at zero: item vectors equal the text path's
    text_only = TwoTower(ModelConfig(text_dim=8, id_buckets=0, dim=8)).eval()
    text_only.item_tower.text.load_state_dict(model.item_tower.text.state_dict())
    features = ItemFeatures(torch.arange(5), torch.randn(5, 8))
    assert torch.allclose(model.item_vectors(features), text_only.item_vectors(features))


def test_items_without_an_id_row_score_from_text_alone_in_a_trained_hybrid():
    model = TwoTower(ModelConfig(text_dim=8, id_buckets=5, dim=8)).eval()
    torch.nn.init.normal_(model.item_tower.ids.weight)  # as after training
    text = torch.randn(3, 8)
    text_only = TwoTower(ModelConfig(text_dim=8, id_buckets=0, dim=8)).eval()
    text_only.item_tower.text.load_state_dict(model.item_tower.text.state_dict())
    cold = model.item_vectors(ItemFeatures(torch.full((3,), -1), text))
    assert torch.allclose(cold, text_only.item_vectors(ItemFeatures(torch.arange(3), text)))
    assert not torch.allclose(cold, model.item_vectors(ItemFeatures(torch.arange(3), text)))


def test_the_order_free_user_tower_ignores_order_and_time():
    torch.manual_seed(0)
    model = TwoTower(ModelConfig(text_dim=8, dim=8, max_len=6, user_encoder="mean")).eval()
    text = torch.randn(5, 8)
    events = torch.tensor([2, 2, 4, 3, 2])
    history = History(ItemFeatures(torch.arange(5), text), events, torch.tensor([0, 10, 500, 90000, 10**7]))
    order = torch.tensor([3, 0, 4, 1, 2])
    shuffled = History(ItemFeatures(order, text[order]), events[order], torch.zeros(5, dtype=torch.long))
    assert torch.allclose(model.user_vector(history), model.user_vector(shuffled), atol=1e-5)


def test_splits_hold_out_positives_and_never_leak():
    inter = toy_interactions(n_users=10, per_user=12)
    for how in ("temporal", "leave-one-out", "random"):
        data = split(inter, how)
        assert len(data.readers) > 0
        for relevant in data.relevant:
            assert len(relevant) >= 1
    loo = split(inter, "leave-one-out")
    assert all(len(r) == 1 for r in loo.relevant)
    cut = split(inter, "temporal")
    assert cut.train.timestamps.max() <= np.quantile(inter.timestamps, 0.8)


def test_cold_recall_counts_only_items_nobody_read_in_training():
    scores = torch.tensor([[0.9, 0.8, 0.7, 0.1, 0.0]])
    # relevant 1 (warm, ranked 1st) and 3 (cold, ranked 3rd of the unseen); item 0 seen
    m = ranking_metrics(
        lambda r: scores, np.array([0]), [np.array([1, 3])], [np.array([0])], 5, ks=(1, 3), cold=np.array([3, 4])
    )
    assert m["recall@1"] == 1.0 and m["cold_recall@1"] == 0.0 and m["cold_recall@3"] == 1.0
    # among the new papers only (3 and 4), 3 is first: as a digest of new papers would show it
    assert m["new_recall@1"] == 1.0
    below = ranking_metrics(
        lambda r: torch.tensor([[0.9, 0.8, 0.7, 0.0, 0.1]]),
        np.array([0]),
        [np.array([3])],
        [np.array([0])],
        5,
        ks=(1,),
        cold=np.array([3, 4]),
    )
    assert below["new_recall@1"] == 0.0
    none = ranking_metrics(
        lambda r: scores, np.array([0]), [np.array([1])], [np.array([0])], 5, ks=(1,), cold=np.array([4])
    )
    assert np.isnan(none["cold_recall@1"]) and np.isnan(none["new_recall@1"])


def test_ranking_metrics_by_hand():
    # 4 items; reader 0 relevant {2}, seen {0}; scores rank 0 > 2 > 1 > 3 -> with 0 excluded, 2 is first
    scores = torch.tensor([[4.0, 2.0, 3.0, 1.0]])
    m = ranking_metrics(lambda r: scores, np.array([0]), [np.array([2])], [np.array([0])], 4, ks=(1, 2))
    assert m["recall@1"] == 1.0 and m["ndcg@1"] == 1.0
    # relevant {1, 3}: top-2 is (2, 1): one hit at rank 2 -> recall 1/2, ndcg (1/log2 3) / (1 + 1/log2 3)
    m = ranking_metrics(lambda r: scores, np.array([0]), [np.array([1, 3])], [np.array([0])], 4, ks=(2,))
    assert m["recall@2"] == 0.5
    assert abs(m["ndcg@2"] - (1 / np.log2(3)) / (1 + 1 / np.log2(3))) < 1e-9
    assert m["coverage@2"] == 0.5


def test_no_module_imports_django():
    code = (
        "import sys, importlib, pkgutil, recsys\n"
        "for m in pkgutil.iter_modules(recsys.__path__): importlib.import_module('recsys.' + m.name)\n"
        "assert not [n for n in sys.modules if n == 'django' or n.startswith('django.')], 'django imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_trained_hybrid_scores_items_nobody_read_from_their_text():
    from recsys.data import ItemTable
    from recsys.train import TrainConfig, train

    inter = toy_interactions(n_users=6, per_user=8, n_items=12)  # items 12-15 never read
    text = torch.nn.functional.normalize(torch.randn(16, 8), dim=1).numpy()
    config = TrainConfig(
        model=ModelConfig(item_ids=True, id_init_std=0.05, dim=8, hidden=16, max_len=6),
        epochs=1,
        val_fraction=0.0,
        device="cpu",
        progress=False,
    )
    model, _ = train(ItemTable([f"p{i}" for i in range(16)], text), inter, config)
    rows = model.item_tower.ids.weight
    assert rows.shape[0] == 16 and torch.all(rows[12:] == 0) and torch.all(rows[:12].abs().sum(1) > 0)
    unread = ItemFeatures(torch.arange(12, 16), torch.as_tensor(text[12:]))
    assert torch.allclose(
        model.item_vectors(unread), model.item_vectors(ItemFeatures(torch.full((4,), -1), unread.text))
    )


def test_the_library_objective_predicts_what_it_held_out_from_what_it_kept_never_against_it():
    from recsys.objective import library_loss

    torch.manual_seed(0)
    text = torch.nn.functional.normalize(torch.randn(10, 8), dim=1)
    catalogue = ItemFeatures(torch.arange(10), text)
    model = TwoTower(
        ModelConfig(text_dim=8, id_buckets=10, item_ids=True, dim=8, hidden=16, user_encoder="mean")
    ).eval()
    view, dismiss = EVENT_CODE["view"], EVENT_CODE["dismiss"]
    batch = {
        "items": torch.tensor([[3, 1, 4, 1, 5, 9], [2, 6, 5, -1, -1, -1]]),
        "events": torch.tensor([[view, view, dismiss, view, view, view], [view, view, view, 0, 0, 0]]),
    }
    torch.manual_seed(1)
    loss = library_loss(model, batch, catalogue, "full_softmax", None, held_out=0.5)

    torch.manual_seed(1)
    held = (torch.rand(2, 6) < 0.5) & (batch["items"] >= 0) & (batch["events"] == view)
    assert held.any() and (~held & (batch["items"] >= 0)).any(1).all()  # the seed gives both kinds in each row
    vectors = model.item_vectors(catalogue)
    losses = []
    for row in range(2):
        kept = (~held[row]) & (batch["items"][row] >= 0)
        history = History(
            catalogue[batch["items"][row][kept]], batch["events"][row][kept], torch.zeros(int(kept.sum()))
        )
        logits = model.user_vector(history) @ vectors.T
        for target in batch["items"][row][held[row]]:
            shown = torch.zeros(10, dtype=torch.bool)
            shown[batch["items"][row][kept]] = True
            shown[target] = False  # item 1 is read twice: kept once, it is still a target once held
            losses.append(torch.nn.functional.cross_entropy(logits.masked_fill(shown, -torch.inf)[None], target[None]))
    assert torch.allclose(loss, torch.stack(losses).mean(), atol=1e-5)


def test_svd_id_rows_rank_what_a_readers_community_reads():
    from recsys.train import svd_item_factors

    # two co-reading groups: readers 0-5 read papers 0-3, readers 6-11 papers 4-7; reader 12 has
    # papers 0 and 1 of the first group; paper 8 nobody read
    library = [(u, i) for u in range(6) for i in range(4)] + [(u, i) for u in range(6, 12) for i in range(4, 8)]
    library += [(12, 0), (12, 1)]
    users, items = (np.array(c) for c in zip(*library))
    inter = Interactions(
        users, items, np.arange(len(users)), np.full(len(users), EVENT_CODE["view"]), [f"u{u}" for u in range(13)]
    )
    factors = svd_item_factors(inter, 9, dim=4)
    assert factors.shape == (9, 4) and np.all(factors[8] == 0)
    scores = factors[[0, 1]].mean(0) @ factors.T
    scores[[0, 1]] = -np.inf
    assert set(np.argsort(-scores)[:2]) == {2, 3}


def test_ease_id_rows_hold_eases_item_item_weights_input_and_output_apart():
    from recsys.baselines import ease_weights, reader_matrix
    from recsys.train import ease_item_factors

    inter = toy_interactions(n_users=12, per_user=5, n_items=8)  # items 8 and 9 never read
    p, q, lam = ease_item_factors(inter, 10, dim=16, lam=2.0)
    b = ease_weights(reader_matrix(inter, 8), 2.0)
    product = p[:8] @ q[:8].T
    assert lam == 2.0 and np.all(p[8:] == 0) and np.all(q[8:] == 0)
    # full rank: P Q^T is B up to one positive scale, so every reader ranks as EASE ranks
    assert np.allclose(product / (product * b).sum() * (b * b).sum(), b, atol=1e-4)
    assert not np.allclose(b, b.T, atol=1e-3)  # asymmetric: one table of rows could not hold it
    truncated = ease_item_factors(inter, 10, dim=3, lam=2.0)
    assert truncated[0].shape == (10, 3) and np.linalg.matrix_rank(truncated[0] @ truncated[1].T) == 3


def test_a_hybrid_started_from_ease_is_its_rows_and_scores_unread_items_from_their_text():
    from recsys.data import ItemTable
    from recsys.train import TrainConfig, train

    inter = toy_interactions(n_users=12, per_user=6, n_items=12)  # items 12-15 never read
    text = torch.nn.functional.normalize(torch.randn(16, 8), dim=1).numpy()
    config = TrainConfig(
        model=ModelConfig(
            item_ids=True, input_ids=True, normalize_items=False, dim=8, hidden=16, max_len=6, user_encoder="mean"
        ),
        objective="library",
        id_init="ease",
        ease_lambda=1.0,
        epochs=0,  # the start as it is
        val_fraction=0.0,
        device="cpu",
        progress=False,
    )
    model, metrics = train(ItemTable([f"p{i}" for i in range(16)], text), inter, config)
    from recsys.train import ease_item_factors

    p, q, _ = ease_item_factors(inter, 16, dim=8, lam=1.0)
    catalogue = ItemFeatures(torch.arange(16), torch.as_tensor(text))
    with torch.no_grad():
        outputs, inputs = model.item_vectors(catalogue), model.item_tower(catalogue, inputs=True)
    # a read item is exactly its EASE rows (its text's share is in them); an unread one is what
    # its text predicts its row to be, not zero, and the same as a paper newer than the model
    assert torch.allclose(outputs[:12], torch.as_tensor(q[:12]), atol=1e-5)
    assert torch.allclose(inputs[:12], torch.as_tensor(p[:12]), atol=1e-5)
    assert torch.all(outputs[12:].norm(dim=1) > 0) and metrics["best_epoch"] == 0
    newer = ItemFeatures(torch.full((4,), -1), torch.as_tensor(text[12:]))
    assert torch.allclose(model.item_vectors(newer), outputs[12:])
    # ... at the read rows' length on average (ridge alone shrinks, and shorter always loses)
    read = torch.as_tensor(np.abs(q).sum(1) > 0)
    with torch.no_grad():
        predicted = model.item_tower.text(torch.as_tensor(text))[read]
    assert torch.isclose(predicted.norm(dim=1).mean(), torch.as_tensor(q)[read].norm(dim=1).mean(), rtol=1e-3)

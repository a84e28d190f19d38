"""Train/test splits of interactions. Test sets hold positive events only.

temporal       a global time cut: the last `test_fraction` of time is test.
leave-one-out  each reader's last positive event is test; their later events are dropped.
random         a seeded `test_fraction` of each reader's positive events is test (readers with
               at least two positives only, so that some history remains).
With `new_items` > 0, a seeded share of the papers anyone read is also held out whole, every event
with them out of training and their positive events in test: papers new to the model, as in the
out-of-matrix protocol of Wang and Blei (KDD 2011) on CiteULike. The random split alone leaves few
(47 of CiteULike-a's 16,980 papers, read by 44 of 2,000 sampled readers), too few to compare text
rankings on.
"""

from dataclasses import dataclass

import numpy as np

from recsys.data import Interactions

SPLITS = ("temporal", "leave-one-out", "random")


@dataclass
class Split:
    train: Interactions
    readers: np.ndarray  # readers evaluated: some training history and a test item
    relevant: list[np.ndarray]  # held-out items of each
    seen: list[np.ndarray]  # their training items (any event), excluded from the ranking


def _by_reader(inter: Interactions, mask: np.ndarray) -> dict[int, np.ndarray]:
    users, items = inter.users[mask], inter.items[mask]
    order = np.argsort(users, kind="stable")
    users, items = users[order], items[order]
    if not len(users):
        return {}
    cuts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
    return dict(zip(users[cuts].tolist(), np.split(items, cuts[1:])))


def split(inter: Interactions, how: str, test_fraction: float = 0.2, seed: int = 0, new_items: float = 0.0) -> Split:
    positive = inter.positive
    if how == "temporal":
        cut = np.quantile(inter.timestamps, 1.0 - test_fraction)
        is_test, keep = positive & (inter.timestamps > cut), inter.timestamps <= cut
    elif how == "leave-one-out":
        order = np.lexsort((np.arange(len(inter)), inter.timestamps, inter.users))
        rank = np.empty(len(inter), dtype=np.int64)
        rank[order] = np.arange(len(inter))  # position in (reader, time) order
        last = np.full(inter.n_users, -1)
        np.maximum.at(last, inter.users[positive], rank[positive])
        eligible = np.bincount(inter.users[positive], minlength=inter.n_users)[inter.users] >= 2
        is_test = eligible & (rank == last[inter.users])
        keep = ~eligible | (rank < last[inter.users])
    elif how == "random":
        rng = np.random.default_rng(seed)
        n_pos = np.bincount(inter.users[positive], minlength=inter.n_users)
        is_test = positive & (rng.random(len(inter)) < test_fraction) & (n_pos[inter.users] >= 2)
        keep = ~is_test
    else:
        raise ValueError(f"unknown split {how!r}; choose from {SPLITS}")
    if new_items > 0:
        read = np.unique(inter.items[positive])
        new = np.random.default_rng([seed, 1]).choice(read, round(new_items * len(read)), replace=False)
        is_new = np.isin(inter.items, new)
        is_test, keep = is_test | (is_new & positive), keep & ~is_new
    train = inter.subset(keep & ~is_test)
    test = _by_reader(inter, is_test)
    seen = _by_reader(train, np.ones(len(train), dtype=bool))  # dismissed ones too
    readers = np.array(
        sorted(u for u, items in test.items() if u in seen and len(np.setdiff1d(items, seen[u]))), dtype=np.int64
    )
    return Split(train, readers, [test[u] for u in readers], [seen[u] for u in readers])

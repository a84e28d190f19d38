"""A reader simulator over real paper embeddings, so the app and the tests have interactions.

Each paper i has a unit text embedding e_i, an announcement time r_i and a latent popularity
pi_i = 1 / rank_i^skew (ranks a random permutation: popularity is independent of topic). Each reader
has 1-3 interest centres c (a random paper's embedding plus noise, renormalised) and reads during
a random stretch of the time span. At time t, for a topic c drawn uniformly from the reader's:

    P(read i | c, t)  ∝  exp(<c, e_i> / focus + log pi_i - (t - r_i) / freshness)   if r_i <= t,

so readers follow their topics, favour popular papers and fresh ones, and never read a paper
before it appears. With `communities` > 0 readers also follow each other: each reader belongs to
one of that many co-reading communities (a reading group, a lab), each with a canon of `canon_size`
papers drawn at random, whatever their topic or popularity; a read follows the community with
probability `community_share`, drawn from the canon papers already out (by freshness as above),
and the reader's topics otherwise. Only readers' co-reading reveals a canon: it
is collaborative signal that no text model can see. A paper is read at most once per reader. Each read is a `view`, `open`, `like`
or `save`; with probability `dismiss_rate` per read the reader also dismisses a paper drawn by
popularity alone. `popularity_skew` 0 gives no popularity effect; 1.5 a strong one.

    python -m recsys.simulate --papers data/sample/arxiv_papers.jsonl --readers 1000 --out var/sim
writes items.jsonl (item_id, text, released[, embedding]) and interactions.csv for `python -m recsys.evaluate`.
"""

import argparse
import csv
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from recsys.data import EVENT_CODE, EVENTS, Interactions, ItemTable
from recsys.encoder import paper_text

DAY = 86400
READ_EVENTS = (("view", 0.55), ("open", 0.25), ("like", 0.12), ("save", 0.08))


@dataclass
class SimulationConfig:
    readers: int = 1000
    reads_per_reader: float = 30.0  # mean; each reader reads 2 + Poisson(mean - 2)
    max_interests: int = 3
    interest_noise: float = 0.5  # norm of the noise added to a centre before renormalising
    focus: float = 0.03  # softmax temperature of topical affinity (lower: pickier)
    popularity_skew: float = 1.0  # Zipf exponent of latent popularity
    freshness_days: float = 60.0
    dismiss_rate: float = 0.1
    communities: int = 0  # co-reading communities (0: readers independent)
    community_share: float = 0.5  # chance a read follows the reader's community's canon
    canon_size: int = 40  # papers in each community's canon
    seed: int = 0


def load_papers(path: Path) -> tuple[list[str], list[str], np.ndarray]:
    """arXiv records -> ids, paper texts, announcement times (unix seconds)."""
    records = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    times = [datetime.fromisoformat(r["announced_date"]).replace(tzinfo=UTC).timestamp() for r in records]
    return (
        [r["arxiv_id"] for r in records],
        [paper_text(r["title"], r["abstract"]) for r in records],
        np.asarray(times, dtype=np.int64),
    )


def _interest_centres(rng, embeddings, config) -> np.ndarray:
    n, dim = embeddings.shape
    m = rng.integers(1, config.max_interests + 1)
    noise = rng.normal(size=(m, dim))
    noise *= config.interest_noise / np.linalg.norm(noise, axis=1, keepdims=True)
    centres = embeddings[rng.integers(0, n, m)] + noise
    return centres / np.linalg.norm(centres, axis=1, keepdims=True)


def simulate(embeddings: np.ndarray, release: np.ndarray, config: SimulationConfig) -> Interactions:
    """Interactions over items 0..N-1 (rows of `embeddings`, released at `release` seconds)."""
    rng = np.random.default_rng(config.seed)
    n = len(embeddings)
    log_pop = -config.popularity_skew * np.log1p(rng.permutation(n))
    span_start, span_end = release.min(), release.max() + 14 * DAY
    canons = np.zeros((config.communities, n), dtype=bool)
    for canon in canons:
        canon[rng.choice(n, size=min(config.canon_size, n), replace=False)] = True
    rows = []
    for reader in range(config.readers):
        community = canons[reader % config.communities] if config.communities else None
        centres = _interest_centres(rng, embeddings, config)
        affinity = centres @ embeddings.T / config.focus  # [m, N]
        n_reads = 2 + rng.poisson(max(config.reads_per_reader - 2, 0))
        n_draws = 3 * n_reads  # draws repeat papers; the first n_reads distinct ones are kept
        start = rng.uniform(span_start, span_end - 7 * DAY)
        times = np.sort(rng.uniform(start, span_end, n_draws)).astype(np.int64)  # [E]
        age = (times[:, None] - release[None, :]) / (config.freshness_days * DAY)  # [E, N]
        logits = affinity[rng.integers(0, len(centres), n_draws)] + log_pop - age
        if community is not None:
            follows = (rng.random(n_draws) < config.community_share) & (community & (age >= 0)).any(1)
            logits[follows] = np.where(community, -age[follows], -np.inf)
        logits[age < 0] = -np.inf
        logits[(age < 0).all(1), :] = 0.0  # nothing out yet: any paper, as if browsing the archive
        chosen = np.argmax(logits + rng.gumbel(size=logits.shape), axis=1)  # Gumbel-max sampling
        _, first = np.unique(chosen, return_index=True)
        first = np.sort(first)[:n_reads]
        kinds = rng.choice([EVENT_CODE[e] for e, _ in READ_EVENTS], size=len(first), p=[p for _, p in READ_EVENTS])
        rows += [(reader, chosen[j], times[j], kind) for j, kind in zip(first, kinds)]
        for j in first[rng.random(len(first)) < config.dismiss_rate]:
            available = release <= times[j]
            weights = np.exp(log_pop) * available if available.any() else np.exp(log_pop)
            rows.append((reader, rng.choice(n, p=weights / weights.sum()), times[j] + 60, EVENT_CODE["dismiss"]))
    users, items, timestamps, events = (np.asarray(c, dtype=np.int64) for c in zip(*rows))
    return Interactions(users, items, timestamps, events, user_ids=[f"r{u}" for u in range(config.readers)])


def write_dataset(out: Path, items: ItemTable, interactions: Interactions, with_embeddings: bool) -> None:
    """items.jsonl and interactions.csv in the format `recsys.evaluate` reads."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "items.jsonl", "w") as f:
        for i, item_id in enumerate(items.ids):
            record = {"item_id": item_id, "text": items.texts[i]}
            if items.released is not None:
                record["released"] = int(items.released[i])
            if with_embeddings:
                record["embedding"] = [round(float(x), 6) for x in items.embeddings[i]]
            f.write(json.dumps(record) + "\n")
    with open(out / "interactions.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["user_id", "item_id", "timestamp", "event"])
        for u, i, t, e in zip(interactions.users, interactions.items, interactions.timestamps, interactions.events):
            writer.writerow([interactions.user_ids[u], items.ids[i], int(t), EVENTS[e - 1]])


def main(argv=None) -> None:
    from recsys.embeddings import embed_texts

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=Path, default=Path("data/sample/arxiv_papers.jsonl"))
    parser.add_argument("--readers", type=int, default=1000)
    parser.add_argument("--reads", type=float, default=30.0, help="mean reads per reader")
    parser.add_argument("--popularity-skew", type=float, default=1.0)
    parser.add_argument("--communities", type=int, default=0, help="co-reading communities (0: none)")
    parser.add_argument("--community-share", type=float, default=0.5, help="share of reads that follow the community")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--with-embeddings", action="store_true", help="also write each item's embedding")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    ids, texts, release = load_papers(args.papers)
    embeddings = embed_texts(texts, progress=True)
    config = SimulationConfig(
        readers=args.readers,
        reads_per_reader=args.reads,
        popularity_skew=args.popularity_skew,
        communities=args.communities,
        community_share=args.community_share,
        seed=args.seed,
    )
    interactions = simulate(embeddings, release, config)
    write_dataset(args.out, ItemTable(ids, embeddings, texts, release), interactions, args.with_embeddings)
    print(f"{len(interactions)} interactions of {config.readers} readers over {len(ids)} papers -> {args.out}")


if __name__ == "__main__":
    main()

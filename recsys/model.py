"""The two-tower retriever: an item tower over paper text embeddings, a causal user tower over the
reader's history, and dot-product scores score(u, i) = <user(u), item(i)> / temperature.
"""

import math
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from recsys.data import gap_bucket
from recsys.user_tower import UserTower


@dataclass
class ModelConfig:
    text_dim: int = 384  # frozen text embedding size; 0 for id-only items
    id_buckets: int = 0  # rows of the hashed item-id embedding; 0 for none
    item_ids: bool = False  # hybrid: one id row per catalogue item beside the text (train()
    # sets id_buckets); id-only catalogues always have them
    input_ids: bool = False  # asymmetric ids: the history's items read an input id table of their
    # own, candidates the output one, so the mean user tower can hold an asymmetric item-item
    # model (EASE's B ~ P Q^T); shared rows make it the symmetric E E^T
    id_dropout: float = 0.5  # chance an item is trained without its id embedding
    id_init_std: float = 0.0  # hybrid id rows start N(0, std^2); rows of items nobody read in
    # training are zeroed after it (train()), so they score from text
    dim: int = 64  # output (and user tower) width
    hidden: int = 256  # item MLP hidden width
    user_encoder: str = "attention"  # "attention" (causal pooling), "transformer" (SASRec-like), or
    # "mean" (order-free: the running mean of the history, no positions
    # or time gaps, for libraries whose order means nothing)
    mean_of_positives: bool = False  # the mean encoder averages the positive events' rows only: a
    # dismissed paper is not the reader's taste, and EASE's x_u (the start) holds positives alone
    library: bool = False  # a mean of positives, once trained, reads the reader's whole library (each
    # paper once, the latest LIBRARY_MAX), as EASE's x_u does, not the latest max_len events: on
    # order-free libraries (full CiteULike-a) the start's recall@20 0.3250 -> 0.3396; on sequences
    # whose latest items say most (MovieLens-1M, leave-one-out) 0.1837 -> 0.1513 (docs/benchmarks.md),
    # so training keeps it only where its validation judges libraries (TrainConfig.validation)
    layers: int = 2
    heads: int = 2
    max_len: int = 50  # history events the user tower reads
    dropout: float = 0.1
    temperature: float = 0.05
    learn_temperature: bool = True
    user_layer_norm: bool = True  # the user tower's last LayerNorm (False: with the mean encoder and
    # normalize=False the user vector is the history's mean row / temperature, linear in the rows,
    # so item-item neighbours' mean weights add to it in the same units: recsys.neighbors)
    normalize: bool = True  # L2-normalise the user vector (it does not change a reader's ranking)...
    normalize_items: bool = True  # ... and the item vectors (False: an item's length is learned, as
    # EASE's column scales are, and the two-tower scores by inner product)


@dataclass
class ItemFeatures:
    """What the item tower reads: dense item indices [n] (-1: an item the model has no id row for,
    scored from its text alone) and text embeddings [n, text_dim]."""

    ids: Tensor
    text: Tensor | None = None

    def __getitem__(self, index: Tensor) -> "ItemFeatures":
        return ItemFeatures(self.ids[index], None if self.text is None else self.text[index])

    def __len__(self) -> int:
        return len(self.ids)

    def to(self, device) -> "ItemFeatures":
        return ItemFeatures(self.ids.to(device), None if self.text is None else self.text.to(device))


@dataclass
class History:
    """One reader's history, oldest first: the items' features, event codes [T], unix seconds [T]."""

    items: ItemFeatures
    events: Tensor
    timestamps: Tensor


class ItemTower(nn.Module):
    """MLP(text) + hashed id embedding, dropped per item during training so the text-only (cold)
    path stays good. Rows of items nobody read stay at zero, so an unseen item scores from its text
    alone; so does an item whose id is -1 (a paper newer than the model). With `input_ids` an item
    has a second row, read when it is in a history (forward(inputs=True)), so the id path can hold
    an asymmetric item-item model. Id-only mode (text_dim = 0) needs random rows."""

    def __init__(self, c: ModelConfig):
        super().__init__()
        self.c = c
        self.text = (
            nn.Sequential(nn.Linear(c.text_dim, c.hidden), nn.GELU(), nn.Linear(c.hidden, c.dim))
            if c.text_dim
            else None
        )
        self.ids = nn.Embedding(c.id_buckets, c.dim) if c.id_buckets else None
        if self.ids is not None:
            nn.init.normal_(self.ids.weight, std=c.id_init_std if c.text_dim else 0.1)
        self.input_ids = nn.Embedding(c.id_buckets, c.dim) if self.ids is not None and c.input_ids else None
        if self.input_ids is not None:
            self.input_ids.weight.data.copy_(self.ids.weight.data)

    def id_tables(self) -> list[nn.Embedding]:
        return [table for table in (self.ids, self.input_ids) if table is not None]

    def forward(self, f: ItemFeatures, inputs: bool = False) -> Tensor:
        """Item vectors [n, d] as candidates, or (inputs=True) as the user tower reads them."""
        vectors = self.text(f.text) if self.text is not None else 0.0
        table = self.input_ids if inputs and self.input_ids is not None else self.ids
        if table is not None:
            id_vectors = table(f.ids.clamp_min(0) % self.c.id_buckets) * (f.ids >= 0).unsqueeze(-1)
            if self.training and self.text is not None and self.c.id_dropout > 0:
                keep = torch.rand(len(f), 1, device=id_vectors.device) >= self.c.id_dropout
                id_vectors = id_vectors * keep
            vectors = vectors + id_vectors
        return F.normalize(vectors, dim=-1) if self.c.normalize and self.c.normalize_items else vectors


class TwoTower(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.item_tower = ItemTower(config)
        self.user_tower = UserTower(config)
        log_t = torch.tensor(math.log(config.temperature))
        self.log_temperature = nn.Parameter(log_t) if config.learn_temperature else nn.Buffer(log_t)

    @property
    def reads_library(self) -> bool:
        """Whether the reader's vector is made from their library (each paper they read once, the
        latest LIBRARY_MAX: recsys.neighbors.library_histories), not their latest max_len events
        (ModelConfig.library, for a mean of positives: order-free, so it can read what EASE's x_u and
        the neighbours read). Training still reads windows; the harness, serving and `user_vector`
        read the library."""
        return self.config.library and self.user_tower.order_free and self.config.mean_of_positives

    def queries(self, item_vectors: Tensor, events: Tensor, gaps: Tensor) -> Tensor:
        """User vectors scaled by 1/temperature, so that scores are plain dot products."""
        return self._scaled(self.user_tower(item_vectors, events, gaps))

    def _scaled(self, u: Tensor) -> Tensor:
        u = F.normalize(u, dim=-1) if self.config.normalize else u
        return u / self.log_temperature.clamp(math.log(0.01), 0.0).exp()

    def forward(
        self, items: Tensor, events: Tensor, gaps: Tensor, catalogue: ItemFeatures, negatives: Tensor | None = None
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        """One causal pass over sequences items/events/gaps [B, L + 1] (item PAD < 0).

        Returns queries [B, L, d] (step t predicts item t + 1), the sequence's item vectors
        [B, L + 1, d], and the vectors of extra `negatives` [U, d] (item indices) if given.
        Everything that needs a gradient goes through here, so DDP sees all of it.
        """
        B, T = items.shape
        wanted = items.clamp_min(0).flatten()
        if negatives is not None:
            wanted = torch.cat([wanted, negatives])
        all_vectors = self._item_vectors(catalogue, wanted)
        vectors = all_vectors[: B * T].view(B, T, -1)
        history = (
            self._item_vectors(catalogue, items[:, :-1].clamp_min(0).flatten(), inputs=True).view(B, T - 1, -1)
            if self.item_tower.input_ids is not None
            else vectors[:, :-1]
        )
        queries = self.queries(history, events[:, :-1], gaps[:, :-1])
        extra = all_vectors[B * T :] if negatives is not None else None
        return queries, vectors, extra

    def _item_vectors(self, catalogue: ItemFeatures, wanted: Tensor, inputs: bool = False) -> Tensor:
        # a small catalogue repeats items across a batch: run the tower once per distinct item
        distinct, where = torch.unique(wanted, return_inverse=True)
        return self.item_tower(catalogue[distinct], inputs=inputs)[where]

    # --- inference: the API the app calls -------------------------------------------------

    @contextmanager
    def _inference(self):
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                yield
        finally:
            self.train(was_training)

    def item_vectors(self, features: ItemFeatures, chunk: int = 65536) -> Tensor:
        """Item vectors [n, d] for ranking by dot product with `user_vector`."""
        device = self.log_temperature.device
        with self._inference():
            return (
                torch.cat(
                    [
                        self.item_tower(features[torch.arange(s, min(s + chunk, len(features)))].to(device))
                        for s in range(0, len(features), chunk)
                    ]
                )
                if len(features)
                else torch.zeros(0, self.config.dim)
            )

    def history_vectors(
        self, items: Tensor, events: Tensor, gaps: Tensor, lengths: Tensor, catalogue: ItemFeatures, chunk: int = 1024
    ) -> Tensor:
        """User vectors [U, d] from left-aligned histories [U, L] of catalogue indices."""
        out = []
        with self._inference():
            for s in range(0, len(items), chunk):
                rows = slice(s, s + chunk)
                vectors = self.item_tower(catalogue[items[rows].clamp_min(0).flatten()], inputs=True)
                vectors = vectors.view(*items[rows].shape, -1)
                q = self.queries(vectors, events[rows], gaps[rows])
                out.append(q[torch.arange(len(q), device=q.device), (lengths[rows] - 1).clamp_min(0)])
        return torch.cat(out) if out else torch.zeros(0, self.config.dim)

    def library_vectors(self, items: Tensor, events: Tensor, catalogue: ItemFeatures, cells: int = 1 << 18) -> Tensor:
        """User vectors [U, d] of a tower that `reads_library` from left-aligned libraries
        items/events [U, L] (PAD < 0, event 0), about `cells` history entries at a time."""
        device = self.log_temperature.device
        distinct, where = torch.unique(items.clamp_min(0), return_inverse=True)
        lengths = (items >= 0).sum(1)
        out = []
        with self._inference():
            rows = self.item_tower(catalogue[distinct.to(catalogue.ids.device)].to(device), inputs=True)  # [n, d]
            chunk = max(1, cells // max(items.shape[1], 1))
            for s in range(0, len(items), chunk):
                width = max(int(lengths[s : s + chunk].max()), 1)  # the chunk's longest library
                vectors = rows[where[s : s + chunk, :width].to(device)]  # [c, width, d]
                out.append(self._scaled(self.user_tower.whole(vectors, events[s : s + chunk, :width].to(device))))
        return torch.cat(out) if out else torch.zeros(0, self.config.dim, device=device)

    def user_vector(self, history: History) -> Tensor:
        """The reader's vector [d] (already divided by the temperature) from their history: the
        latest max_len events, or every one given where the tower `reads_library` (pass the library)."""
        device = self.log_temperature.device
        if self.reads_library:
            with self._inference():
                vectors = self.item_tower(history.items.to(device), inputs=True)
                return self._scaled(self.user_tower.whole(vectors[None], history.events[None].to(device)))[0]
        T = self.config.max_len
        times = history.timestamps.cpu().numpy()
        gaps = gap_bucket(np.diff(times, prepend=times[:1]))
        gaps[:1] = 0  # as in training: a reader's first event has no predecessor
        gaps = torch.from_numpy(gaps[-T:])
        with self._inference():
            vectors = self.item_tower(history.items[torch.arange(len(history.items))[-T:]].to(device), inputs=True)
            q = self.queries(vectors[None], history.events[-T:][None].to(device), gaps[None].to(device))
        return q[0, -1]

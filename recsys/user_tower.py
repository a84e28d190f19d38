"""The user tower: a causal transformer (SASRec-like), causal attention pooling, or an order-free
running mean over the reader's history, returning at every step the reader's vector for
predicting the next item."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from recsys.data import EVENTS, GAP_BUCKETS, POSITIVE_CODES

if TYPE_CHECKING:
    from recsys.model import ModelConfig


class CausalSelfAttention(nn.Module):
    def __init__(self, c: ModelConfig, learned_query: bool = False):
        super().__init__()
        self.heads = c.heads
        # pooling: one learned query per head instead of a query from each position
        self.query = nn.Parameter(torch.zeros(1, c.heads, 1, c.dim // c.heads)) if learned_query else None
        self.qkv = nn.Linear(c.dim, 3 * c.dim)
        self.proj = nn.Linear(c.dim, c.dim)

    def forward(self, x: Tensor) -> Tensor:
        B, T, C = x.shape
        q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2) for t in self.qkv(x).split(C, 2))
        if self.query is not None:
            q = self.query.expand(B, -1, T, -1)
        # right padding + causal mask: no real position ever sees a padded one
        # no attention dropout: on CPU it forces the slow unfused kernel (3-4x the attention time)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.transpose(1, 2).reshape(B, T, C))


class Block(nn.Module):
    def __init__(self, c: ModelConfig):
        super().__init__()
        self.ln1, self.attn = nn.LayerNorm(c.dim), CausalSelfAttention(c)
        self.ln2 = nn.LayerNorm(c.dim)
        self.mlp = nn.Sequential(
            nn.Linear(c.dim, 4 * c.dim), nn.GELU(), nn.Linear(4 * c.dim, c.dim), nn.Dropout(c.dropout)
        )

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class UserTower(nn.Module):
    """Reads (item vector + event type + time since previous event + position) per history step
    and returns, at every step t, the reader's vector for predicting step t + 1."""

    def __init__(self, c: ModelConfig):
        super().__init__()
        self.event = nn.Embedding(len(EVENTS) + 1, c.dim)
        self.gap = nn.Embedding(GAP_BUCKETS, c.dim)
        self.position = nn.Embedding(c.max_len, c.dim)
        if c.user_encoder == "transformer":
            self.mixer = nn.Sequential(*[Block(c) for _ in range(c.layers)])
        elif c.user_encoder == "attention":
            self.ln_in, self.mixer = nn.LayerNorm(c.dim), CausalSelfAttention(c, learned_query=True)
        elif c.user_encoder == "mean":
            self.ln_in = nn.LayerNorm(c.dim)
            self.mixer = nn.Sequential(
                nn.Linear(c.dim, 4 * c.dim), nn.GELU(), nn.Linear(4 * c.dim, c.dim), nn.Dropout(c.dropout)
            )
        else:
            raise ValueError(f"unknown user_encoder {c.user_encoder!r}")
        self.ln = nn.LayerNorm(c.dim) if c.user_layer_norm else nn.Identity()
        self.head = nn.Linear(c.dim, c.dim)
        # start as "the reader wants more of what they just read": the residual stream carries the
        # latest item's vector, and an identity head keeps it in the item space, so training
        # begins from content similarity instead of having to find it
        for table in (self.event, self.gap, self.position):
            nn.init.normal_(table.weight, std=0.02)
        nn.init.eye_(self.head.weight)
        nn.init.zeros_(self.head.bias)
        if c.user_encoder == "mean":
            # ... and for the mean, start as the plain mean of the history's rows (the residual MLP
            # adds nothing yet), so rows started from EASE or the SVD rank as those do at step 0
            nn.init.zeros_(self.mixer[2].weight)
            nn.init.zeros_(self.mixer[2].bias)
        self.pool = c.user_encoder == "attention"
        self.order_free = c.user_encoder == "mean"
        self.mean_of_positives = c.mean_of_positives

    def forward(self, item_vectors: Tensor, events: Tensor, gaps: Tensor) -> Tensor:
        T = item_vectors.shape[1]
        if self.order_free:
            # the mean of steps 0..t (right padding never reaches a real step), then a residual MLP:
            # the same vector whatever order the reader's library was listed in
            x = item_vectors + self.event(events)
            if self.mean_of_positives:  # ... of the positive events only (none yet: zero)
                counted = positive_weights(events).to(x.dtype)[..., None]  # [B, T, 1]
                x = (x * counted).cumsum(1) / counted.cumsum(1).clamp_min(1)
            else:
                x = x.cumsum(1) / torch.arange(1, T + 1, device=x.device, dtype=x.dtype)[:, None]
            return self._after_mean(x)
        x = item_vectors + self.event(events) + self.gap(gaps) + self.position.weight[:T]
        x = x + self.mixer(self.ln_in(x)) if self.pool else self.mixer(x)
        return self.head(self.ln(x))

    def whole(self, item_vectors: Tensor, events: Tensor) -> Tensor:
        """[B, d]: an order-free tower's vector of each whole history [B, L, d] (padding: event 0),
        `forward`'s last step without the steps before it, so a library of any length is read at
        once (no positions cap it at max_len) in memory linear in its length."""
        assert self.order_free, "only an order-free tower reads a history whatever its length"
        x = item_vectors + self.event(events)
        counted = (positive_weights(events) if self.mean_of_positives else events > 0).to(x.dtype)[..., None]
        return self._after_mean((x * counted).sum(1) / counted.sum(1).clamp_min(1))

    def _after_mean(self, x: Tensor) -> Tensor:
        x = x + self.mixer(self.ln_in(x))
        return self.head(self.ln(x))


def positive_weights(events: Tensor) -> Tensor:
    """[B, T] bool: the events a mean of positives counts."""
    return torch.isin(events, torch.as_tensor(POSITIVE_CODES, device=events.device))

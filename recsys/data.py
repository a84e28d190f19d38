"""Items, interactions, and the padded sequences the model trains on.

An `ItemTable` is the catalogue: external ids, and per item a text embedding (or none, id-only).
`Interactions` are parallel numpy arrays, one row per event, users and items as dense indices.
Events: `present` (shown in a list) is left out of sequences, since impressions say little and
outnumber everything else; `dismiss` stays in a reader's history as a signal but is never a
target; `view, open, like, save` are positives.
"""

import csv
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch

EVENTS = ("present", "view", "open", "like", "save", "dismiss")  # code = position + 1; 0 pads
EVENT_CODE = {name: i + 1 for i, name in enumerate(EVENTS)}
POSITIVE_CODES = np.array([EVENT_CODE[e] for e in ("view", "open", "like", "save")])
GAP_BUCKETS = 32  # log2-seconds buckets
PAD = -1


class InputError(ValueError):
    """A data file the harness cannot read; the message names the file and line."""


@dataclass
class ItemTable:
    ids: list[str]
    embeddings: np.ndarray | None = None  # [N, D] float32, unit rows; None: id-only
    texts: list[str] | None = None  # kept for text baselines (TF-IDF)
    released: np.ndarray | None = None  # [N] int64 unix seconds each item came out; None: unknown

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def index(self) -> dict[str, int]:
        return {item_id: i for i, item_id in enumerate(self.ids)}


@dataclass
class Interactions:
    users: np.ndarray  # [R] int64, index into user_ids
    items: np.ndarray  # [R] int64, index into the ItemTable
    timestamps: np.ndarray  # [R] int64 seconds
    events: np.ndarray  # [R] int64 event codes
    user_ids: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    def subset(self, mask: np.ndarray) -> "Interactions":
        return Interactions(self.users[mask], self.items[mask], self.timestamps[mask], self.events[mask], self.user_ids)

    @property
    def positive(self) -> np.ndarray:
        return np.isin(self.events, POSITIVE_CODES)

    @classmethod
    def from_rows(cls, rows, items: ItemTable) -> "Interactions":
        """rows: (user_id, item_id, timestamp, event) tuples; unknown items are dropped."""
        index = items.index
        user_index: dict[str, int] = {}
        kept = [
            (user_index.setdefault(str(u), len(user_index)), index[str(i)], parse_time(t), EVENT_CODE[e or "view"])
            for u, i, t, e in rows
            if str(i) in index
        ]
        columns = np.array(kept, dtype=np.int64).reshape(-1, 4).T
        return cls(*columns, user_ids=list(user_index))


def parse_time(value) -> int:
    """Unix seconds from a number or an ISO-8601 string (naive means UTC)."""
    try:
        return int(float(value))
    except (TypeError, ValueError):
        moment = datetime.fromisoformat(str(value))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp())


def read_items_jsonl(path: Path) -> ItemTable:
    """ids, texts (if every row has `text`), embeddings (if every row has `embedding`), release
    times (if every row has `released`); embeddings are normalised to unit length."""
    numbered, seen = [], set()  # (line number, record)
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"{path}:{number}: not JSON ({e.msg})") from None
        if not isinstance(record, dict) or "item_id" not in record:
            raise InputError(f"{path}:{number}: every line needs an item_id")
        if str(record["item_id"]) in seen:
            raise InputError(f"{path}:{number}: item_id {record['item_id']!r} appears twice")
        if "released" in record:
            try:
                record["released"] = parse_time(record["released"])
            except (TypeError, ValueError):
                raise InputError(
                    f"{path}:{number}: released {record['released']!r} is neither unix seconds nor ISO-8601"
                ) from None
        seen.add(str(record["item_id"]))
        numbered.append((number, record))
    records = [r for _, r in numbered]
    ids = [str(r["item_id"]) for r in records]
    texts = [r["text"] for r in records] if all("text" in r for r in records) else None
    embeddings = None
    if records and all("embedding" in r for r in records):
        first, width = numbered[0][0], len(records[0]["embedding"])
        for number, r in numbered:
            if len(r["embedding"]) != width:
                raise InputError(
                    f"{path}:{number}: an embedding of {len(r['embedding'])} numbers, line {first} has {width}"
                )
        embeddings = np.asarray([r["embedding"] for r in records], dtype=np.float32)
        embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True).clip(1e-12)
    released = None
    if records and all("released" in r for r in records):
        released = np.array([r["released"] for r in records], dtype=np.int64)
    return ItemTable(ids, embeddings, texts, released)


def read_interactions_csv(path: Path, items: ItemTable) -> Interactions:
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in ("user_id", "item_id", "timestamp") if c not in (reader.fieldnames or ())]
        if missing:
            raise InputError(
                f"{path}: the header lacks {', '.join(missing)} (expected user_id,item_id,timestamp[,event])"
            )

        def rows():
            for r in reader:
                event = r.get("event") or "view"
                if event not in EVENT_CODE:
                    raise InputError(
                        f"{path}:{reader.line_num}: unknown event {event!r}, expected one of {', '.join(EVENTS)}"
                    )
                try:
                    timestamp = parse_time(r["timestamp"])
                except (TypeError, ValueError):
                    raise InputError(
                        f"{path}:{reader.line_num}: timestamp {r['timestamp']!r} is neither unix seconds nor ISO-8601"
                    ) from None
                yield r["user_id"], r["item_id"], timestamp, event

        return Interactions.from_rows(rows(), items)


def target_mask(items: torch.Tensor, events: torch.Tensor) -> torch.Tensor:
    """[B, L]: which next events of sequences [B, L + 1] are positives, i.e. training targets."""
    positive = torch.as_tensor(POSITIVE_CODES, device=events.device)
    return (items[:, 1:] >= 0) & torch.isin(events[:, 1:], positive)


def trim_padding(batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Drop the trailing columns that are padding in every row: short histories cost nothing."""
    width = max(int((batch["items"] >= 0).sum(1).max()), 2) if len(batch["items"]) else 2
    return {k: v[:, :width] if v.dim() == 2 else v for k, v in batch.items()}


def gap_bucket(seconds: np.ndarray) -> np.ndarray:
    """0 for a reader's first event, else 1 + floor(log2(1 + gap)), capped."""
    return np.minimum(1 + np.floor(np.log2(1.0 + np.maximum(seconds, 0))), GAP_BUCKETS - 1).astype(np.int64)


def _ordered(inter: Interactions):
    """Sequence-worthy rows (no `present`), sorted by user then time, with per-user positions."""
    rows = inter.subset(inter.events != EVENT_CODE["present"])
    order = np.lexsort((rows.timestamps, rows.users))
    users, items = rows.users[order], rows.items[order]
    times, events = rows.timestamps[order], rows.events[order]
    starts = np.r_[True, users[1:] != users[:-1]]
    first_row = np.maximum.accumulate(np.where(starts, np.arange(len(users)), 0))
    position = np.arange(len(users)) - first_row
    gaps = np.where(starts, 0, gap_bucket(np.diff(times, prepend=times[:1])))
    return users, items, events, gaps, times, position


def _pack(slot_rows, slot_cols, n_rows, width, **columns) -> dict[str, torch.Tensor]:
    def filled(values, pad):
        out = np.full((n_rows, width), pad, dtype=np.int64)
        out[slot_rows, slot_cols] = values
        return torch.from_numpy(out)

    return {name: filled(values, PAD if name == "items" else 0) for name, values in columns.items()}


def training_sequences(inter: Interactions, max_len: int) -> dict[str, torch.Tensor]:
    """Every reader's history cut into windows of max_len + 1 events, overlapping by one.

    Window w holds positions [w L, w L + L] (L = max_len): the model reads its first L events
    and predicts events 1..L, so each event after the first is a target exactly once.
    Returns items/events/gaps/times [S, L + 1] (padding: item PAD, event 0; times in unix seconds)
    and users [S].
    """
    users, items, events, gaps, times, position = _ordered(inter)
    n_per_user = np.bincount(users, minlength=inter.n_users)
    windows_per_user = np.maximum(n_per_user - 1, 0) // max_len + (n_per_user > 1) * ((n_per_user - 1) % max_len > 0)
    first_window = np.r_[0, np.cumsum(windows_per_user)[:-1]]
    usable = n_per_user[users] > 1
    own_w, own_col = position // max_len, position % max_len
    # an event that opens a window also closes the previous one
    closes = usable & (own_col == 0) & (position > 0)
    opens = usable & (own_w < windows_per_user[users])
    rows = np.r_[first_window[users][opens] + own_w[opens], first_window[users][closes] + own_w[closes] - 1]
    cols = np.r_[own_col[opens], np.full(closes.sum(), max_len)]
    pick = np.r_[np.flatnonzero(opens), np.flatnonzero(closes)]
    packed = _pack(
        rows,
        cols,
        int(windows_per_user.sum()),
        max_len + 1,
        items=items[pick],
        events=events[pick],
        gaps=gaps[pick],
        times=times[pick],
    )
    packed["users"] = torch.from_numpy(np.repeat(np.arange(inter.n_users), windows_per_user))
    return packed


def last_histories(inter: Interactions, max_len: int) -> dict[str, torch.Tensor]:
    """Each reader's latest max_len events, left-aligned: items/events/gaps [U, L], lengths [U]."""
    users, items, events, gaps, _, position = _ordered(inter)
    n_per_user = np.bincount(users, minlength=inter.n_users)
    skip = np.maximum(n_per_user - max_len, 0)[users]
    keep = position >= skip
    packed = _pack(
        users[keep],
        (position - skip)[keep],
        inter.n_users,
        max_len,
        items=items[keep],
        events=events[keep],
        gaps=gaps[keep],
    )
    packed["lengths"] = torch.from_numpy(np.minimum(n_per_user, max_len))
    return packed

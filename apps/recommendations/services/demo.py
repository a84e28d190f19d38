"""Simulated readers for the demo, so `make run` is personal from the first visit.

Their interactions come from recsys.simulate (readers with a few interest topics, popularity bias,
time order) over the real papers' text vectors. They are ordinary accounts that cannot log in.
"""

import datetime as dt
import math

import numpy as np
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from apps.accounts.services import demo_readers_bulk_create
from apps.embeddings.models import PaperEmbedding
from apps.embeddings.selectors import active_model
from apps.recommendations.models import Interaction
from recsys.data import EVENTS
from recsys.simulate import SimulationConfig, simulate

DEMO_PREFIX = "demo-reader-"


@transaction.atomic
def demo_readers_seed(*, readers: int = 500, seed: int = 0) -> int:
    """Create `readers` simulated readers with histories, once; returns how many interactions were made."""
    User = get_user_model()
    model = active_model()
    if model is None or User.objects.filter(username__startswith=DEMO_PREFIX).exists():
        return 0
    rows = (
        PaperEmbedding.objects.filter(model_name=model.name, paper__withdrawn=False)
        .order_by("paper_id")
        .values_list("paper_id", "vector", "paper__announced")
    )
    paper_ids, vectors, released = [], [], []
    for paper_id, vector, announced in rows:
        paper_ids.append(paper_id)
        vectors.append(np.asarray(vector, dtype=np.float32))
        released.append(dt.datetime.combine(announced, dt.time(20), tzinfo=dt.UTC).timestamp())
    if len(paper_ids) < 10:
        return 0
    simulated = simulate(
        np.stack(vectors), np.asarray(released, dtype=np.int64), SimulationConfig(readers=readers, seed=seed)
    )
    # The simulator reads up to two weeks past the newest paper; the demo's history ends now.
    overshoot = max(0, math.ceil(simulated.timestamps.max() - timezone.now().timestamp()))
    users = demo_readers_bulk_create(
        accounts=[(f"{DEMO_PREFIX}{i}", f"{DEMO_PREFIX}{i}@example.org") for i in range(readers)]
    )
    Interaction.objects.bulk_create(
        [
            Interaction(
                user=users[u],
                paper_id=paper_ids[i],
                kind=EVENTS[e - 1],
                source=Interaction.Source.DIGEST,
                created_at=dt.datetime.fromtimestamp(int(t) - overshoot, tz=dt.UTC),
            )
            for u, i, t, e in zip(simulated.users, simulated.items, simulated.timestamps, simulated.events)
        ],
        ignore_conflicts=True,  # a simulated reader may like the same paper twice; one row stands
    )
    return len(simulated)

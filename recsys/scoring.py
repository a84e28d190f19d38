"""The app's served score for many readers at once, read by the harness (its test readers) and by
training's validation (its validation readers' held-out papers), so that early stopping judges the
very ranking the report judges.

    score(reader, i) = user_vector(library, or latest events) . item_vector(i)
                       + neighbors.scores(library, [i])                     (where training chose some)
                       + [i never read in training] new_papers.lift(...)    (recsys/cold.py)
"""

from collections.abc import Callable
from functools import cache

import numpy as np
import torch

from recsys.cold import NewPapers, history_profiles, read_rows, unit_rows
from recsys.data import Interactions, last_histories
from recsys.model import ItemFeatures, TwoTower
from recsys.neighbors import Neighbors, library_histories, library_means

Scorer = Callable[[np.ndarray], torch.Tensor]  # reader indices [b] -> scores [b, N]


def served_scorer(
    model: TwoTower,
    inter: Interactions,
    catalogue: ItemFeatures,
    neighbors: Neighbors | None = None,
    new_papers: NewPapers | None = None,
) -> Scorer:
    """score(readers) [b, N] over the catalogue, each reader of `inter` as the app serves them: the
    user tower over their library (a tower that `reads_library`) or latest events, plus the mean weight of their library's item-item
    neighbours, plus the lift of papers nobody read in training."""
    return served_scorers(model, inter, catalogue, new_papers)(neighbors)


def served_scorers(
    model: TwoTower, inter: Interactions, catalogue: ItemFeatures, new_papers: NewPapers | None = None
) -> Callable[[Neighbors | None], Scorer]:
    """`served_scorer` for any neighbours: what does not depend on them (the item vectors, the
    histories or libraries, the libraries' means) is read once, for validation's grid of neighbours."""
    device = model.log_temperature.device
    item_vectors = model.item_vectors(catalogue)
    histories = {k: v.to(device) for k, v in last_histories(inter, model.config.max_len).items()}

    @cache
    def means():  # [U, N]: library_means, made once, when neighbours first ask for it
        return library_means(inter, len(catalogue))

    # a mean of positives reads the reader's whole library, as serving gives it, not the latest max_len events
    library = library_histories(inter, len(catalogue)) if model.reads_library else None
    known, lengths = histories["items"].cpu().numpy(), histories["lengths"].cpu().numpy()
    new_papers = new_papers or NewPapers()
    if new_papers:
        new = torch.from_numpy(~read_rows(model))  # [N]
        text, events = unit_rows(catalogue.text).cpu(), histories["events"].cpu().numpy()

    def scorer(neighbors: Neighbors | None) -> Scorer:
        between = neighbors.matrix() if neighbors is not None else None  # [N, N]
        libraries = means() if between is not None else None

        def score(readers: np.ndarray) -> torch.Tensor:
            rows = torch.as_tensor(readers, device=device)
            if library is not None:
                users = model.library_vectors(
                    *(library[k][torch.as_tensor(readers)] for k in ("items", "events")), catalogue
                )
            else:
                users = model.history_vectors(
                    *(histories[k][rows] for k in ("items", "events", "gaps", "lengths")), catalogue
                )
            scores = (users @ item_vectors.T).float().cpu()
            if between is not None:
                # Neighbors.scores over the reader's library (every paper they read, as EASE's x_u)
                scores += torch.from_numpy((libraries[readers] @ between).toarray())
            if new_papers:
                cosine = history_profiles(known[readers], events[readers], lengths[readers], text) @ text.T  # [b, N]
                scores += new * new_papers.lift(cosine, users.norm(dim=1, keepdim=True).float().cpu())
            return scores

        return score

    return scorer

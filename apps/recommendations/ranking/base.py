from dataclasses import dataclass


@dataclass(frozen=True)
class Ranked:
    paper_id: int
    score: float
    reason: str = ""

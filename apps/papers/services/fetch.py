"""One paper by arXiv id, from the catalogue or, when it is not there yet, fetched from arXiv on demand."""

from django.conf import settings

from apps.papers.arxiv_client import ArxivClient, FeedError
from apps.papers.models import Paper
from apps.papers.records import InvalidRecord, from_arxiv_result, split_arxiv_id
from apps.papers.services.upsert import upsert_records


class PaperUnavailable(Exception):
    """The id is malformed, arXiv does not know it, or arXiv could not be asked; the message says which."""


def paper_by_arxiv_id(raw_id: str) -> Paper:
    """The catalogue's paper, else arXiv's, stored through the one upsert path (any category)."""
    try:
        arxiv_id, _ = split_arxiv_id(raw_id)
    except InvalidRecord:
        raise PaperUnavailable(f"{raw_id.strip()[:60]!r} is not an arXiv id (e.g. 2507.09331).") from None
    paper = Paper.objects.filter(arxiv_id=arxiv_id).first()
    if paper is not None:
        return paper
    client = ArxivClient(
        api_url=settings.ARXIV_API_URL,
        page_size=1,
        delay_seconds=settings.ARXIV_DELAY_SECONDS,
        num_retries=settings.ARXIV_NUM_RETRIES,
    )
    import arxiv

    try:
        results = list(client.results(arxiv.Search(id_list=[arxiv_id], max_results=1)))
    except FeedError as error:
        raise PaperUnavailable(f"arXiv could not be asked about {arxiv_id}: {error}") from error
    records = []
    for result in results:
        try:
            record = from_arxiv_result(result)
        except InvalidRecord:
            continue
        if record.arxiv_id == arxiv_id:
            records.append(record)
    if not records:
        raise PaperUnavailable(f"arXiv has no paper {arxiv_id}.")
    upsert_records(records)
    return Paper.objects.get(arxiv_id=arxiv_id)

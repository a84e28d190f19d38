"""The `arxiv` client pointed at ARXIV_API_URL, and strict about what it accepts.

The client pages, waits `delay_seconds` between requests (arXiv asks for >= 3 s) and retries failed
requests. On top of that we count pages, remember the feed's total, and refuse a page that is not
valid Atom or holds fewer entries than its header promises (storing a silently truncated page would
lose papers); what is transient is tried again, what is not fails at once.
"""

import datetime as dt
from urllib.parse import parse_qs, urlparse

import arxiv
import requests


class FeedError(Exception):
    """The feed could not be read; the message says where and why, for the IngestRun and the user."""


class FeedUnavailable(FeedError):
    """Network trouble or a 5xx/429 answer: worth trying again later."""


class TruncatedPage(FeedUnavailable):
    """A page cut short (broken XML, fewer entries than promised): arXiv does this under load, and the
    same request usually succeeds a moment later."""


class MalformedFeed(FeedError):
    """arXiv refused the request (a 4xx): asking again would get the same answer."""


def build_query(*, categories: list[str], since: dt.datetime, until: dt.datetime) -> str:
    in_categories = " OR ".join(f"cat:{category}" for category in categories)
    return f"({in_categories}) AND lastUpdatedDate:[{since:%Y%m%d%H%M} TO {until:%Y%m%d%H%M}]"


class ArxivClient(arxiv.Client):
    def __init__(self, *, api_url: str, page_size: int, delay_seconds: float, num_retries: int):
        super().__init__(page_size=page_size, delay_seconds=delay_seconds, num_retries=num_retries)
        self.query_url_format = f"{api_url}?{{}}"
        self.pages_fetched = 0
        self.total_results: int | None = None

    def search(self, query: str, *, max_results: int | None) -> "iter[arxiv.Result]":
        """Oldest update first, so a run cut short by max_results still has a clean high-water mark."""
        search = arxiv.Search(
            query=query,
            max_results=max_results,
            sort_by=arxiv.SortCriterion.LastUpdatedDate,
            sort_order=arxiv.SortOrder.Ascending,
        )
        return self.results(search)

    def _parse_feed(self, url: str, first_page: bool = True, _try_index: int = 0):
        """One page, tried up to num_retries more times while what goes wrong is transient.

        The library's own retries would also repeat a 4xx and never a short page, so each call to it
        is one try (its `_try_index` at the last) and the policy is here.
        """
        start = int(parse_qs(urlparse(url).query).get("start", ["0"])[0])
        where = f"page {start // self.page_size + 1} (start={start})"
        tries = self.num_retries + 1
        for attempt in range(1, tries + 1):
            try:
                return self._checked_page(url, first_page=first_page, start=start, where=where)
            except FeedUnavailable as error:
                if attempt == tries:
                    raise type(error)(f"{error}, {tries} tries") from error

    def _checked_page(self, url: str, *, first_page: bool, start: int, where: str):
        try:
            feed = super()._parse_feed(url, first_page=first_page, _try_index=self.num_retries)
        except arxiv.HTTPError as error:
            message = f"arXiv answered HTTP {error.status} for {where}"
            raise (FeedUnavailable if error.status >= 500 or error.status == 429 else MalformedFeed)(message) from error
        except requests.RequestException as error:
            raise FeedUnavailable(f"arXiv could not be reached for {where}: {error}") from error
        except arxiv.UnexpectedEmptyPageError:
            raise TruncatedPage(f"arXiv returned no readable entries for {where} (malformed or empty)") from None
        if feed.malformed:
            raise TruncatedPage(f"arXiv returned malformed XML for {where}: {feed.error}")
        # The first page's total is the promise; a broken page's own header may be missing.
        total = self.total_results if self.total_results is not None else feed.header.total_results
        expected = min(self.page_size, total - start)
        if len(feed.results) < expected:
            raise TruncatedPage(
                f"arXiv returned {len(feed.results)} readable entries for {where}; the feed promises {expected}"
            )
        self.pages_fetched += 1
        self.total_results = total
        return feed

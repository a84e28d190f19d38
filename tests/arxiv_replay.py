"""A local stand-in for the arXiv API: Atom pages built from real metadata, served over HTTP.

`ReplayFeed` holds the entries (as the API would return them, oldest update first) and answers
`?search_query=...&start=S&max_results=N` with the right page. Faults are scripted per page:
`feed.fail(page=2, status=503, times=1)` or `feed.fail(page=2, body=b"<feed><entry>")`.
"""

import datetime as dt
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape, quoteattr

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample" / "arxiv_papers.jsonl"


def sample_rows(limit: int | None = None) -> list[dict]:
    with open(SAMPLE, encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    return rows[:limit] if limit else rows


@dataclass
class Entry:
    """One Atom <entry>: a real paper's metadata plus what the snapshot lacks (version, times)."""

    arxiv_id: str
    title: str
    abstract: str
    authors: list[str]
    categories: list[str]
    published: dt.datetime
    version: int = 1
    updated: dt.datetime | None = None
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None

    @classmethod
    def from_row(cls, row: dict, **overrides) -> "Entry":
        published = dt.datetime.fromisoformat(row["announced_date"]).replace(hour=13, tzinfo=dt.UTC)
        values = {
            "arxiv_id": row["arxiv_id"],
            "title": row["title"],
            "abstract": row["abstract"],
            "authors": row["authors"],
            "categories": row["categories"],
            "published": published,
            "comment": row.get("comment"),
        }
        return cls(**{**values, **overrides})

    def to_atom(self) -> str:
        updated = self.updated or self.published
        optional = "".join(
            f"<arxiv:{tag}>{escape(value)}</arxiv:{tag}>"
            for tag, value in (("comment", self.comment), ("journal_ref", self.journal_ref), ("doi", self.doi))
            if value
        )
        authors = "".join(f"<author><name>{escape(name)}</name></author>" for name in self.authors)
        categories = "".join(
            f'<category term={quoteattr(c)} scheme="http://arxiv.org/schemas/atom"/>' for c in self.categories
        )
        versioned = f"{self.arxiv_id}v{self.version}"
        return (
            f"<entry><id>http://arxiv.org/abs/{versioned}</id>"
            f"<updated>{updated:%Y-%m-%dT%H:%M:%SZ}</updated><published>{self.published:%Y-%m-%dT%H:%M:%SZ}</published>"
            f"<title>{escape(self.title)}</title><summary>  {escape(self.abstract)}\n</summary>{authors}{optional}"
            f'<link href="http://arxiv.org/abs/{versioned}" rel="alternate" type="text/html"/>'
            f'<link title="pdf" href="http://arxiv.org/pdf/{versioned}" rel="related" type="application/pdf"/>'
            f'<arxiv:primary_category term={quoteattr(self.categories[0])} scheme="http://arxiv.org/schemas/atom"/>'
            f"{categories}</entry>"
        )


def atom_page(entries: list[Entry], *, total: int, start: int, per_page: int, query: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom">'
        f'<link href="http://arxiv.org/api/query" rel="self" type="application/atom+xml"/>'
        f"<title>arXiv Query: {escape(query)}</title><id>http://arxiv.org/api/replay</id>"
        f"<updated>{dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%M:%SZ}</updated>"
        f"<opensearch:totalResults>{total}</opensearch:totalResults>"
        f"<opensearch:startIndex>{start}</opensearch:startIndex>"
        f"<opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>"
        + "".join(entry.to_atom() for entry in entries)
        + "</feed>"
    ).encode()


@dataclass
class Fault:
    status: int = 200
    body: bytes | None = None
    times: int = 1


@dataclass
class ReplayFeed:
    entries: list[Entry] = field(default_factory=list)
    faults: dict[int, list[Fault]] = field(default_factory=dict)
    requests: list[dict] = field(default_factory=list)

    def fail(self, *, page: int, status: int = 200, body: bytes | None = None, times: int = 1) -> None:
        self.faults.setdefault(page, []).append(Fault(status=status, body=body, times=times))

    def answer(self, params: dict) -> tuple[int, bytes]:
        start, per_page = int(params.get("start", 0)), int(params.get("max_results", 10))
        self.requests.append({"start": start, "max_results": per_page, "query": params.get("search_query", "")})
        pending = self.faults.get(start // per_page + 1, [])
        if pending:
            fault = pending[0]
            fault.times -= 1
            if fault.times <= 0:
                pending.pop(0)
            return fault.status, fault.body if fault.body is not None else b"Service Unavailable"
        window = self.entries[start : start + per_page]
        return 200, atom_page(
            window, total=len(self.entries), start=start, per_page=per_page, query=params.get("search_query", "")
        )


class ReplayServer:
    """A threaded HTTP server on 127.0.0.1 serving one ReplayFeed; use as a context manager."""

    def __init__(self, feed: ReplayFeed):
        self.feed = feed
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                params = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                status, body = replay.feed.answer(params)
                self.send_response(status)
                self.send_header("Content-Type", "application/atom+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/query"

    def __enter__(self) -> "ReplayServer":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

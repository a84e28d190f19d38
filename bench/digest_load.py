"""Digest page under load: p50/p95 latency and throughput with concurrent signed-in readers, via gunicorn.

    RETRIEVER_VAR_DIR=var/bench python -m config.devstack exec python bench/digest_load.py \
        [--papers 100000] [--readers 10000] [--concurrency 20] [--requests 2000] [--warm-ahead] \
        [--workers 4] [--threads 1] [--in-process]

Fills the catalogue with synthetic papers and readers (bench/_catalogue.py: the real sample's text under
new ids, ~190 a week over ten years, each with a text vector around one of 500 topics under an active
embedding model; readers with 20 likes, saves and dismissals each), then serves the app with gunicorn and requests `/digest/<week>/` from
`--concurrency` threads, each a random reader (a real session cookie) and one of the last 8 weeks.
The data is kept between runs (the same sizes are not built twice). `--warm-ahead` ranks the requested
readers' weeks first, as the task after ingestion, activation and publishing does for recent readers
(apps.digests.services.warming), and reports how long that took; `--warm` loads every (reader, week)
page once first. `--in-process` times one reader's page in this process (Django's test client) in
each state: nothing cached, ranked week only, ranked week and card fragments, the whole page.
"""

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from apps.digests.page_cache import page_key  # noqa: E402
from apps.digests.services.warming import digest_weeks_warm  # noqa: E402
from apps.papers.weeks import Week  # noqa: E402
from apps.recommendations.models import ModelVersion  # noqa: E402
from bench._catalogue import NEWEST, build_readers, load_catalogue  # noqa: E402


def session_cookie(user_id: int) -> str:
    user = get_user_model().objects.get(pk=user_id)
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def load(base: str, cookies: list[str], weeks: list[str], total: int, concurrency: int, cookies_in_order=False) -> dict:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    local = threading.local()

    def one(i: int) -> None:
        nonlocal errors
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        started = time.perf_counter()
        response = session.get(
            f"{base}/digest/{random.choice(weeks)}/",
            cookies={"sessionid": cookies[i % len(cookies)] if cookies_in_order else random.choice(cookies)},
        )
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            errors += response.status_code != 200

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(total)))
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": total,
        "errors": errors,
        "wall_s": round(wall, 1),
        "req_per_s": round(total / wall, 1),
        "p50_ms": round(statistics.median(latencies) * 1000),
        "p95_ms": round(latencies[int(0.95 * len(latencies))] * 1000),
    }


def in_process(user_id: int, week: str, repeats: int = 5) -> list[tuple[str, float, int]]:
    """One reader's page in each cache state: (state, best of `repeats` in ms, queries)."""
    client = Client()
    client.force_login(get_user_model().objects.get(pk=user_id))
    url = f"/digest/{week}/"

    def timed(prepare) -> tuple[float, int]:
        best, queries = float("inf"), 0
        for _ in range(repeats):
            prepare()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                elapsed = time.perf_counter() - started
            assert response.status_code == 200
            best, queries = min(best, elapsed), len(captured.captured_queries)
        return best * 1000, queries

    def nothing_cached():
        cache.clear()

    def ranked_week_only():
        nothing_cached()
        digest_weeks_warm(week=Week.from_label(week), reader_ids=[user_id])

    first = client.get(url)
    key = page_key(first.wsgi_request, Week.from_label(week))
    return [
        ("nothing cached (ranks the week)", *timed(nothing_cached)),
        ("ranked week cached", *timed(ranked_week_only)),
        ("ranked week and card fragments cached", *timed(lambda: client.get(url) and cache.delete(key))),
        ("whole page cached", *timed(lambda: None)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--readers", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (gthread above 1)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--sessions", type=int, default=500, help="signed-in readers requesting")
    parser.add_argument("--weeks", type=int, default=8, help="latest weeks requested")
    parser.add_argument("--warm", action="store_true", help="first load every (reader, week) once: a warm cache")
    parser.add_argument("--warm-ahead", action="store_true", help="first rank every (reader, week), as the task does")
    parser.add_argument("--in-process", action="store_true", help="also time one reader's page in each cache state")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    rng = np.random.default_rng(0)
    load_catalogue(args.papers, rng, text_index=True)
    readers = build_readers(args.readers, rng)
    # Ranked by content similarity, as in the first measurements (bench/archive_rank.py activates a model).
    ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).update(status=ModelVersion.Status.RETIRED)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    cookies = [
        session_cookie(user_id) for user_id in random.Random(0).sample(readers, min(args.sessions, len(readers)))
    ]
    weeks = [Week.containing(NEWEST - dt.timedelta(weeks=w)).label for w in range(args.weeks)]
    session_readers = [int(i) for i in random.Random(0).sample(readers, min(args.sessions, len(readers)))]
    if args.in_process:
        print("| in process, one reader | best of 5 ms | queries |\n|---|---:|---:|")
        for state, ms, queries in in_process(session_readers[0], weeks[0]):
            print(f"| {state} | {ms:.1f} | {queries} |", flush=True)
    warmed = ""
    if args.warm_ahead:
        started = time.perf_counter()
        counts = [digest_weeks_warm(week=Week.from_label(w), reader_ids=session_readers) for w in weeks]
        took = time.perf_counter() - started
        ranked = sum(c["ranked"] for c in counts)
        warmed = f" warm-ahead: {ranked} weeks ranked in {took:.0f}s ({ranked / took:.1f}/s)"
        print(warmed.strip(), flush=True)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--log-level",
            "warning",
            "--timeout",
            "300",
            "--graceful-timeout",
            "5",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_DEBUG": "1", "RETRIEVER_WARM_ENCODER": "0"},
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(100):
            try:
                requests.get(f"{base}/papers/", timeout=30)
                break
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.2)
        load(base, cookies, weeks, 40, args.concurrency)  # warm-up: imports, connections
        if args.warm:
            for week in weeks:
                load(base, cookies, [week], len(cookies), args.concurrency, cookies_in_order=True)
        result = load(base, cookies, weeks, args.requests, args.concurrency)
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:  # a worker still busy: the result is in, do not lose it
            server.kill()
    print(
        f"papers={args.papers} readers={args.readers} concurrency={args.concurrency} gunicorn workers={args.workers} "
        f"threads={args.threads} sessions={len(cookies)} weeks={len(weeks)} warm={args.warm}{warmed}"
    )
    print("| requests | errors | wall s | req/s | p50 ms | p95 ms |\n|---|---|---|---|---|---|")
    print(
        f"| {result['requests']} | {result['errors']} | {result['wall_s']} | {result['req_per_s']} | {result['p50_ms']} | {result['p95_ms']} |"
    )


if __name__ == "__main__":
    main()

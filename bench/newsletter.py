"""Newsletter throughput: build and send N personalised weekly emails to a local SMTP sink.

    RETRIEVER_VAR_DIR=var/bench .venv/bin/python -m config.devstack exec .venv/bin/python bench/newsletter.py \
        [--readers 10000] [--week-papers 190] [--processes 1] [--profile 500]

Builds (once, kept between runs) a published week of ~190 papers with two editors' picks, 2,000 older
papers, every paper with a random unit text vector under an active embedding model, and N readers with
a profile (one of five time zones) and 10 likes/saves each, so every email is ranked for its reader by
content similarity, with reasons, as in production without a trained two-tower model. Then, timed:
the week's rows are queued (`newsletters_start`) and sent by `--processes` fresh processes running the
worker's batch code (`deliveries_send`, batches of NEWSLETTER_BATCH_SIZE, no rate limit) over SMTP to an
aiosmtpd sink in its own process, which counts what it accepted. Peak memory is each sending process's
peak RSS (ru_maxrss).

`--profile N`: instead, one process sends the first N emails in batches under cProfile and prints the
in-process cost per email and where it goes (cumulative time), a figure a shared machine's load
distorts less than wall-clock throughput.
"""

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.urls import reverse  # noqa: E402

from apps.accounts.models import Profile  # noqa: E402
from apps.digests.models import Digest, Pin  # noqa: E402
from apps.digests.services import digest_get_or_create, digest_publish  # noqa: E402
from apps.embeddings.models import EmbeddingModel, PaperEmbedding  # noqa: E402
from apps.newsletters.models import NewsletterDelivery  # noqa: E402
from apps.papers.models import Paper  # noqa: E402
from apps.papers.weeks import Week  # noqa: E402
from apps.recommendations.models import Interaction  # noqa: E402
from bench._stack import machine, sample_paper  # noqa: E402
from tests.arxiv_replay import sample_rows  # noqa: E402

WEEK = Week.from_label("2026-W48")
PREFIX = "nl-bench-"
ZONES = ["UTC", "Europe/Amsterdam", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]
SINK = """
import sys
from tests.smtp import SMTPSink
with SMTPSink(keep_messages=False) as sink:
    print(sink.port, flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin
    print(sink.accepted, flush=True)
"""


def build_papers(week_papers: int, older: int, rng: np.random.Generator) -> None:
    if Paper.objects.filter(arxiv_id__startswith="nl").count() == week_papers + older:
        return
    print(f"building {week_papers} papers in {WEEK.label} and {older} older ones…", flush=True)
    Paper.objects.filter(arxiv_id__startswith="nl").delete()
    EmbeddingModel.objects.exclude(name="bench-random").update(status=EmbeddingModel.Status.RETIRED)
    model, _ = EmbeddingModel.objects.get_or_create(
        name="bench-random", defaults={"status": EmbeddingModel.Status.ACTIVE}
    )
    rows = sample_rows()
    papers = []
    for i in range(week_papers + older):
        row = rows[i % len(rows)]
        announced = (
            WEEK.monday + dt.timedelta(days=i % 5) if i < week_papers else WEEK.monday - dt.timedelta(days=1 + i % 365)
        )
        papers.append(sample_paper(row, arxiv_id=f"nl{i:07d}", announced=announced))
    created = Paper.objects.bulk_create(papers)
    vectors = rng.standard_normal((len(created), 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    PaperEmbedding.objects.bulk_create(
        [PaperEmbedding(paper=p, model_name=model.name, paper_version=1, vector=v) for p, v in zip(created, vectors)],
        batch_size=2000,
    )


def build_week() -> None:
    Digest.objects.filter(week=WEEK.monday).delete()
    Pin.objects.filter(week=WEEK.monday).delete()
    for order, paper in enumerate(Paper.objects.filter(arxiv_id__startswith="nl", announced__gte=WEEK.monday)[:2]):
        Pin.objects.create(week=WEEK.monday, paper=paper, order=order, note="Editors' note: **why** this one matters.")
    digest_publish(digest=digest_get_or_create(week=WEEK), by=None)


def build_readers(n: int, rng: np.random.Generator) -> None:
    User = get_user_model()
    if User.objects.filter(username__startswith=PREFIX).count() == n:
        return
    print(f"building {n} readers with 10 likes/saves each…", flush=True)
    User.objects.filter(username__startswith=PREFIX).delete()
    users = User.objects.bulk_create(
        [User(username=f"{PREFIX}{i}", email=f"{PREFIX}{i}@example.org", password="!") for i in range(n)],
        batch_size=2000,
    )
    Profile.objects.bulk_create(
        [Profile(user=u, time_zone=ZONES[i % len(ZONES)]) for i, u in enumerate(users)], batch_size=2000
    )
    older = list(
        Paper.objects.filter(arxiv_id__startswith="nl", announced__lt=WEEK.monday).values_list("id", flat=True)
    )
    kinds = ["like"] * 6 + ["save"] * 4
    for start in range(0, n, 1000):
        Interaction.objects.bulk_create(
            [
                Interaction(user=user, paper_id=int(pid), kind=kind, source="digest")
                for user in users[start : start + 1000]
                for kind, pid in zip(kinds, rng.choice(older, size=len(kinds), replace=False))
            ]
        )


def send(ids_file: str) -> None:
    """One sending process, as a worker: the batches of its share of the rows, then its numbers as JSON."""
    from apps.newsletters.services import Outcome, deliveries_send

    ids = json.loads(Path(ids_file).read_text())
    size = settings.NEWSLETTER_BATCH_SIZE
    started = time.perf_counter()
    sent = 0
    for start in range(0, len(ids), size):
        sent += deliveries_send(delivery_ids=ids[start : start + size]).counts[Outcome.SENT]
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {"sent": sent, "seconds": seconds, "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
        )
    )


def profile(ids: list[int], port: int) -> None:
    """In this process: send `ids` in the worker's batches under cProfile, then the top functions."""
    import cProfile
    import pstats

    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.NEWSLETTER_RATE_LIMIT = "127.0.0.1", port, 0
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # as EMAIL_HOST picks at start-up
    from apps.newsletters.services import Outcome, deliveries_send

    reverse("newsletters:click", args=["warm"])  # a worker's URL resolver is loaded once, not per batch
    profiler = cProfile.Profile()
    size = settings.NEWSLETTER_BATCH_SIZE
    started, cpu_started = time.perf_counter(), time.process_time()
    profiler.enable()
    sent = sum(deliveries_send(delivery_ids=ids[i : i + size]).counts[Outcome.SENT] for i in range(0, len(ids), size))
    profiler.disable()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(f"machine: {machine()}")
    print(
        f"profiled: {sent} emails in {seconds:.2f} s wall, {cpu:.2f} s of this process's CPU, under cProfile: "
        f"{1000 * seconds / sent:.2f} ms wall, {1000 * cpu / sent:.2f} ms CPU an email"
    )
    profiler.dump_stats(ROOT / "var" / "newsletter-bench.prof")  # for pstats' callers and callees
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=10_000)
    parser.add_argument("--week-papers", type=int, default=190)
    parser.add_argument("--older-papers", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--profile", type=int, metavar="N", help="profile N emails in this process instead")
    parser.add_argument("--send-ids", help=argparse.SUPPRESS)  # internal: be one sending process
    args = parser.parse_args()
    if args.send_ids:
        send(args.send_ids)
        return

    call_command("migrate", verbosity=0)
    rng = np.random.default_rng(0)
    build_papers(args.week_papers, args.older_papers, rng)
    build_readers(args.readers, rng)
    NewsletterDelivery.objects.all().delete()
    build_week()
    get_user_model().objects.exclude(username__startswith=PREFIX).update(is_active=False)  # only the bench's readers

    sink = subprocess.Popen(
        [sys.executable, "-c", SINK], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    port = int(sink.stdout.readline())
    env = {**os.environ, "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port), "NEWSLETTER_RATE_LIMIT": "0"}
    from apps.newsletters.services import newsletters_start

    started = time.perf_counter()
    with transaction.atomic():
        ids = newsletters_start(week=WEEK)
    queued_s = time.perf_counter() - started
    if args.profile:
        profile(ids[: args.profile], port)
        sink.stdin.close()
        sink.wait()
        return
    shares = [ids[i :: args.processes] for i in range(args.processes)]
    workers = []
    for i, share in enumerate(shares):
        path = ROOT / "var" / f"newsletter-bench-ids-{i}.json"
        path.write_text(json.dumps(share))
        cmd = [sys.executable, __file__, "--send-ids", str(path)]
        workers.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True))
    results = [json.loads(w.communicate()[0].strip().splitlines()[-1]) for w in workers]
    total_s = time.perf_counter() - started
    sink.stdin.close()
    accepted = int(sink.stdout.read().strip() or 0)
    sink.wait()

    sent = sum(r["sent"] for r in results)
    assert sent == accepted == len(ids) == args.readers, (sent, accepted, len(ids))
    print(f"machine: {machine()}")
    print("| readers | processes | queue s | total s | emails/s | peak RSS per process MiB |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {args.readers:,} | {args.processes} | {queued_s:.1f} | {total_s:.1f} | {sent / total_s:.0f} "
        f"| {max(r['max_rss_mib'] for r in results):.0f} |"
    )


if __name__ == "__main__":
    main()

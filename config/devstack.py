"""What `make run` and `make test` do once the virtualenv exists.

    python -m config.devstack run            # embedded services, migrate, sample data, worker, beat, web
    python -m config.devstack test [ARGS]    # embedded services (under var/test), then pytest ARGS
    python -m config.devstack exec CMD...    # embedded services, then any command (benchmarks)

Embedded PostgreSQL/Redis start only when DATABASE_URL / CELERY_BROKER_URL are unset. Ctrl-C, SIGTERM
or SIGHUP (a closed terminal) stop everything this command started, in order; if the launcher dies
without a word (SIGKILL), its reaper (config.reaper) stops it all the same. Data stays in the var dir,
so running it again is idempotent.
"""

import errno
import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable

from config import embedded

SAMPLE_PAPERS = embedded.BASE_DIR / "data" / "sample" / "arxiv_papers.jsonl"
PYTHON = sys.executable
PREVIOUS_RUN_STOP_SECONDS = 60


class AlreadyRunning(SystemExit):
    pass


def hold_lock(name: str):
    """One launcher per var dir; the lock dies with the process, so a crash leaves nothing stale."""
    path = embedded.var_dir() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        owner = handle.read().strip() or "unknown"
        if not _process_exists(owner):  # its launcher is gone: its reaper is stopping what was left
            print("Waiting for the previous run to finish stopping…")
            if _lock_within(handle, PREVIOUS_RUN_STOP_SECONDS):
                return _own(handle)
        raise AlreadyRunning(
            f"Retriever is already running from {embedded.var_dir()} (launcher pid {owner}). "
            "Stop it with Ctrl-C in its terminal, or set RETRIEVER_VAR_DIR to run a second copy."
        ) from None
    return _own(handle)


def _own(handle):
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def _process_exists(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def _lock_within(handle, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            time.sleep(0.2)
    return False


class Reaper:
    """The pipe to config.reaper: what is written here is stopped if the launcher dies unannounced."""

    def __init__(self, lock):
        read, self.write = os.pipe()
        # Its own session: a signal to the launcher's group or terminal never reaches it. It inherits
        # the lock, so the next launcher waits until it has finished.
        self.process = subprocess.Popen(
            [PYTHON, "-m", "config.reaper"],
            stdin=read,
            cwd=embedded.BASE_DIR,
            start_new_session=True,
            pass_fds=[lock.fileno()],
        )
        os.close(read)

    def watch(self, kind: str, pid: int) -> None:
        os.write(self.write, f"{kind} {pid}\n".encode())


def ensure_port_free(host: str, port: int) -> None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.bind((host, port))
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise SystemExit(
                f"Port {port} on {host} is already in use by another program. "
                f"Run with another port, e.g. `PORT={port + 1} make run`."
            ) from error
        raise
    finally:
        probe.close()


class Stack:
    """The embedded services plus the child processes, stopped in reverse order."""

    def __init__(self, reaper: Reaper):
        self.reaper = reaper
        self.postgres = None
        self.redis = None
        self.children: list[subprocess.Popen] = []

    def start_services(self) -> None:
        if not os.environ.get("DATABASE_URL"):
            started = time.monotonic()
            self.postgres = embedded.start_postgres()
            self.reaper.watch("postgres", embedded.postmaster_pid())
            os.environ["DATABASE_URL"] = embedded.postgres_url()
            print(f"PostgreSQL (embedded) ready in {time.monotonic() - started:.1f}s: {embedded.pgdata_dir()}")
        if not os.environ.get("CELERY_BROKER_URL"):
            self.redis = embedded.start_redis()
            if self.redis is not None:
                self.reaper.watch("group", self.redis.pid)
            os.environ["CELERY_BROKER_URL"] = embedded.redis_url()
            print(f"Redis (embedded) ready: {embedded.redis_socket()}")

    def manage(self, *args: str) -> None:
        command = self._start([PYTHON, "manage.py", *args])
        if command.wait():
            raise subprocess.CalledProcessError(command.returncode, command.args)
        self.children.remove(command)

    def spawn(self, name: str, *args: str) -> None:
        print(f"starting {name}: {' '.join(args)}")
        self._start(list(args))

    def _start(self, args: list[str]) -> subprocess.Popen:
        # Its own session and process group: stopped as a whole (the worker's pool, runserver's reloader),
        # by us in order or by the reaper if we die first.
        child = subprocess.Popen(args, cwd=embedded.BASE_DIR, start_new_session=True)
        self.children.append(child)
        self.reaper.watch("group", child.pid)
        return child

    def wait(self) -> int:
        while True:
            for child in self.children:
                if child.poll() is not None:
                    print(f"{' '.join(child.args[:4])} exited with status {child.returncode}; stopping.")
                    return child.returncode or 1
            time.sleep(0.5)

    def stop(self) -> None:
        try:
            for child in reversed(self.children):
                _signal_group(child, signal.SIGTERM)
            for child in reversed(self.children):
                try:
                    child.wait(15)
                except subprocess.TimeoutExpired:
                    _signal_group(child, signal.SIGKILL)
        finally:
            embedded.stop_redis(self.redis)
            if self.postgres is not None:
                embedded.stop_postgres(self.postgres)


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(child.pid, signum)
    except ProcessLookupError:  # already gone
        pass


def run(stack: Stack) -> int:
    host, port = "127.0.0.1", int(os.environ.get("PORT", "8000"))
    ensure_port_free(host, port)
    os.environ.setdefault("SITE_URL", f"http://{host}:{port}")  # links in emails point at this server
    stack.start_services()
    stack.manage("migrate", "--no-input")
    stack.manage("import_papers", str(SAMPLE_PAPERS))
    # Embedding the sample takes minutes on a small CPU: the worker does it (progress in its log) while
    # the site already serves keyword search.
    stack.manage("seed_demo_readers", "--enqueue")
    stack.manage("create_demo_editor")
    stack.manage("seed_demo_seminar")
    celery = [PYTHON, "-m", "celery", "-A", "config"]
    stack.spawn("worker", *celery, "worker", "--loglevel=INFO", "--concurrency=2")
    stack.spawn(
        "beat",
        *celery,
        "beat",
        "--loglevel=INFO",
        f"--pidfile={embedded.var_dir() / 'celerybeat.pid'}",
    )
    stack.spawn("web", PYTHON, "manage.py", "runserver", f"{host}:{port}")
    print(f"\nRetriever is up on http://{host}:{port}/  (Ctrl-C stops everything)\n")
    return stack.wait()


def execute(stack: Stack, command: list[str]) -> int:
    stack.start_services()
    return subprocess.run(command, cwd=embedded.BASE_DIR).returncode


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("run", [])
    if command == "test":
        # Tests get their own services, so they never share a queue or data with a running `make run`.
        os.environ.setdefault("RETRIEVER_VAR_DIR", str(embedded.BASE_DIR / "var" / "test"))
        command, rest = "exec", [PYTHON, "-m", "pytest", *rest]
    if command not in ("run", "exec") or (command == "exec" and not rest):
        raise SystemExit("Usage: python -m config.devstack run | test [PYTEST ARGS] | exec CMD...")
    return supervised(run if command == "run" else lambda stack: execute(stack, rest))


def supervised(work: Callable[[Stack], int]) -> int:
    """Run `work` with a Stack that is stopped however this process ends."""
    lock = hold_lock("devstack.lock")
    stack = Stack(Reaper(lock))
    for signum in (signal.SIGTERM, signal.SIGHUP):  # SIGHUP: the terminal was closed
        signal.signal(signum, lambda number, _: sys.exit(128 + number))
    try:
        return work(stack)
    except KeyboardInterrupt:
        print("\nStopping…")
        return 0
    except subprocess.CalledProcessError as error:
        print(f"{' '.join(map(str, error.cmd))} failed with status {error.returncode}.", file=sys.stderr)
        return error.returncode
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

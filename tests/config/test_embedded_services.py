"""The embedded services survive real life: crashes leave stale files, people start things twice."""

import os
import signal
import socket

import psycopg
import pytest

from config import devstack, embedded


@pytest.fixture
def var_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("RETRIEVER_VAR_DIR", str(tmp_path / "var"))
    return tmp_path / "var"


def test_a_second_launcher_on_the_same_var_dir_is_refused(var_dir):
    first = devstack.hold_lock("devstack.lock")
    with pytest.raises(devstack.AlreadyRunning, match=f"already running from {var_dir}.*pid {os.getpid()}"):
        devstack.hold_lock("devstack.lock")
    first.close()
    devstack.hold_lock("devstack.lock").close()  # free again once the first is gone


def test_a_taken_port_is_reported_with_a_way_out():
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    with pytest.raises(SystemExit, match=f"Port {port} .* already in use.*PORT={port + 1} make run"):
        devstack.ensure_port_free("127.0.0.1", port)
    taken.close()


def test_redis_starts_over_a_stale_socket_file(var_dir):
    embedded.redis_dir().mkdir(parents=True)
    embedded.redis_socket().write_text("left behind by a crash")
    process = embedded.start_redis()
    try:
        import redis

        client = redis.Redis(unix_socket_path=str(embedded.redis_socket()))
        assert client.set("retriever", "ok") and client.get("retriever") == b"ok"
        assert embedded.start_redis() is None  # already answering: joined, not started twice
    finally:
        embedded.stop_redis(process)


def test_postgres_restarts_after_a_crash_left_its_pid_file(var_dir):
    server = embedded.start_postgres()
    pid = server.get_pid()
    os.kill(pid, signal.SIGKILL)  # a crash: postmaster.pid stays behind
    _wait_gone(pid)
    assert (embedded.pgdata_dir() / "postmaster.pid").exists()
    embedded.forget_postgres(server)  # as a fresh process would start: knowing nothing of it

    restarted = embedded.start_postgres()
    try:
        with psycopg.connect(embedded.postgres_url()) as connection:
            assert connection.execute("SELECT 1").fetchone() == (1,)
        assert restarted.get_pid() != pid
    finally:
        embedded.stop_postgres(restarted)


def _wait_gone(pid: int) -> None:
    import time

    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def test_postgres_gets_a_search_sized_cache_unless_one_was_chosen(var_dir):
    def shared_buffers() -> str:
        with psycopg.connect(embedded.postgres_url(), autocommit=True) as connection:
            return connection.execute("SHOW shared_buffers").fetchone()[0]

    server = embedded.start_postgres()  # a new data dir: initdb's 128MB, raised and restarted
    try:
        assert shared_buffers() == embedded.SHARED_BUFFERS
        with psycopg.connect(embedded.postgres_url(), autocommit=True) as connection:
            connection.execute("ALTER SYSTEM SET shared_buffers = '64MB'")  # a choice, as a benchmark makes
        embedded.stop_postgres(server)
        server = embedded.start_postgres()
        assert shared_buffers() == "64MB"
    finally:
        embedded.stop_postgres(server)

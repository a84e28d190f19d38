"""Whatever ends the launcher, nothing it started outlives it, and the next launch starts cleanly.

A small launch (the real config.devstack machinery: lock, reaper, embedded services, children in their
own sessions, one of which forks) is ended by each signal; every process it made must be gone.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from config import embedded

LAUNCH = """
import json, sys
from config import devstack

def work(stack):
    stack.start_services()
    stack.spawn("sleeper", "sleep", "300")
    stack.spawn("forker", "sh", "-c", "sleep 300 & sleep 300")
    groups = [child.pid for child in stack.children] + ([stack.redis.pid] if stack.redis else [])
    postgres = devstack.embedded.postmaster_pid() if stack.postgres else None
    print(json.dumps({"groups": groups, "postgres": postgres, "reaper": stack.reaper.process.pid}), flush=True)
    return stack.wait()

sys.exit(devstack.supervised(work))
"""


def launch(var_dir, *, postgres: bool) -> tuple[subprocess.Popen, dict]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env["RETRIEVER_VAR_DIR"] = str(var_dir)
    if not postgres:
        env["DATABASE_URL"] = "postgresql://unused/unused"  # Redis only: quick
    launcher = subprocess.Popen(
        [sys.executable, "-c", LAUNCH],
        cwd=embedded.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # as `make run` in a terminal: the launcher leads its own group
    )
    for line in launcher.stdout:
        if line.startswith("{"):
            return launcher, json.loads(line)
    raise AssertionError(f"the launch did not come up (status {launcher.wait()})")


def survivors(started: dict) -> list[str]:
    table = subprocess.run(["ps", "-eo", "pid=,pgid=,stat=,args="], capture_output=True, text=True, check=True).stdout
    left = []
    for row in table.splitlines():
        pid, pgid, stat, _ = row.split(None, 3)
        if stat.startswith("Z"):
            continue
        if int(pgid) in started["groups"] or int(pid) in (started["postgres"], started["reaper"]):
            left.append(row)
    return left


def gone_within(started: dict, seconds: float) -> list[str]:
    deadline = time.monotonic() + seconds
    while (left := survivors(started)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP])
def test_ending_the_launcher_leaves_no_process_behind(tmp_path, signum):
    launcher, started = launch(tmp_path, postgres=False)
    assert survivors(started)  # the check sees them while they run
    os.killpg(launcher.pid, signum)  # the launcher's whole group, as a terminal or `kill -- -PGID` does
    launcher.wait(30)
    assert not gone_within(started, 30)


def test_after_a_sigkill_postgres_too_is_stopped_and_the_next_launch_starts_cleanly(tmp_path):
    launcher, started = launch(tmp_path, postgres=True)
    assert started["postgres"]
    launcher.kill()
    launcher.wait(30)

    again, restarted = launch(tmp_path, postgres=True)  # waits for the reaper, then starts afresh
    assert restarted["postgres"] != started["postgres"]
    assert not survivors(started)
    again.send_signal(signal.SIGTERM)
    again.wait(60)
    assert not gone_within(restarted, 30)

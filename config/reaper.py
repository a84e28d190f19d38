"""The launcher's reaper: whatever ends `make run` (Ctrl-C, SIGTERM, SIGHUP, a closed terminal, even
SIGKILL), nothing it started outlives it.

The launcher starts the reaper first, in a session of its own, so no signal aimed at the launcher's
terminal or process group reaches it, and keeps the write end of a pipe that is the reaper's stdin.
As it starts things, the launcher writes what to stop: `group PGID` (a child in its own session, with
whatever that child forks) or `postgres PID` (the embedded postmaster, which pg_ctl detached). When the
pipe reaches EOF, the launcher is gone however it ended, and the reaper stops what is still there:
SIGTERM to each group, a fast shutdown (SIGINT) to PostgreSQL, then SIGKILL to what is left after a
grace period. It holds the launcher's lock meanwhile, so the next `make run` waits for it to finish.

    python -m config.reaper   # started by config.devstack, never by hand
"""

import os
import signal
import sys
import time

GRACE_SECONDS = 20


def _alive(kind: str, pid: int) -> bool:
    try:
        (os.killpg if kind == "group" else os.kill)(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # the id now belongs to someone else's process: ours is gone
        return False
    return True


def _send(kind: str, pid: int, signum: int) -> None:
    try:
        (os.killpg if kind == "group" else os.kill)(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def stop(targets: list[tuple[str, int]], grace: float = GRACE_SECONDS) -> None:
    """Newest first, as the launcher stops them: the web and worker before the databases they use."""
    for kind, pid in reversed(targets):
        _send(kind, pid, signal.SIGINT if kind == "postgres" else signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(_alive(*target) for target in targets) and time.monotonic() < deadline:
        time.sleep(0.1)
    for kind, pid in targets:
        if _alive(kind, pid):
            _send(kind, pid, signal.SIGKILL)


def main() -> None:
    targets: list[tuple[str, int]] = []
    # Only our own ends come here (the reaper is in its own session): stop as if the launcher had gone.
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, lambda *_: sys.exit(0))
    try:
        for line in sys.stdin:
            kind, _, pid = line.strip().partition(" ")
            if kind in ("group", "postgres") and pid.isdigit():
                targets.append((kind, int(pid)))
    finally:
        stop(targets)


if __name__ == "__main__":
    main()

"""Free loopback ports for servers the tests start as subprocesses (and restart on the same port).

A port the OS hands out for an ephemeral bind can be handed out again to another process at once, and
the kernel also uses that range for outgoing connections: a subprocess server restarted on "its" port
could then find it taken by a parallel test worker. So each pytest-xdist worker takes ports from a range
of its own, below the ephemeral range (32768-60999 on Linux), checking each with a bind.
"""

from __future__ import annotations

import itertools
import os
import socket
import threading

_FIRST_PORT = 20_000
_PORTS_PER_WORKER = 1_500
_lock = threading.Lock()


def _worker_index() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")  # "gw3"; absent without xdist
    digits = worker.removeprefix("gw")
    return int(digits) if digits.isdigit() else 0


def _candidates() -> itertools.cycle[int]:
    start = _FIRST_PORT + (_worker_index() % 8) * _PORTS_PER_WORKER
    ports = range(start, start + _PORTS_PER_WORKER)
    # Begun at a place of this process's own: two test runs on one machine (a developer's and a hook's)
    # then rarely probe the same port at the same moment.
    offset = os.getpid() % _PORTS_PER_WORKER
    return itertools.cycle([*ports[offset:], *ports[:offset]])


_next = _candidates()


def free_port() -> int:
    """A loopback port no one listens on now, from this worker's own range (not reused soon after)."""
    with _lock:
        for _ in range(_PORTS_PER_WORKER):
            port = next(_next)
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port left in this worker's range")

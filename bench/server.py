"""Gunicorn on loopback, for the benchmark's throughput and the load test."""

import socket
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(*, port: int, workers: int, env: dict, log=None) -> subprocess.Popen:
    """Gunicorn serving the portal on 127.0.0.1:``port`` (never another address) with ``env``,
    returned once it accepts connections. ``log``: an open file for its output (else
    inherited). Exits if it dies or does not listen within 30 s."""
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "ntm_portal.wsgi:application",
            f"--workers={workers}",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT if log else None,
    )
    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited ({server.returncode})")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("gunicorn did not start listening in 30 s")

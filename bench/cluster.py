"""Several machines on one: ``make cluster`` / ``make cluster-stop`` (README, "Cluster").

``python -m bench.cluster start`` starts, on 127.0.0.1 only, and in the background:

- its own Redis (redis-server on a spare port, nothing saved to disk): the jobs' queue
  (JOBS_REDIS_URL, DB 1) and the shared cache (CACHE_URL, DB 0) when the code understands a
  redis:// cache;
- the local S3-compatible server (moto_server, from the dev dependencies) with the bucket
  ``ntm-cluster`` (AWS_* settings);
- PostgreSQL: the machine's server of DATABASE_URL (default postgres://postgres@127.0.0.1:5432),
  its own database ``ntm_cluster``, created, migrated and loaded with the demo data the first
  time (later starts reuse it; ``--fresh`` drops it first);
- two gunicorn servers (``--workers`` each), one job worker (``manage.py run_jobs``);
- HAProxy (Debian's package) in front, balancing round robin, checking each server's health
  page every second, retrying a connection the server refused on the other server
  (``retries`` + ``option redispatch``), and a GET whose server died before answering
  (``retry-on ... empty-response``); a POST is never replayed once sent (see README).

Each runs in its own process group; their ids, ports and logs go to ``.cluster/``.
``python -m bench.cluster stop`` ends exactly those processes (SIGTERM, then SIGKILL).
``status`` says what runs. HAProxy and redis-server are not installed by this script: it
says which Debian packages to install when one is missing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RUN_DIR = BASE_DIR / ".cluster"
STATE = RUN_DIR / "state.json"
DATABASE_NAME = "ntm_cluster"
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"
BUCKET = "ntm-cluster"
PYTHON = sys.executable
BIN = Path(PYTHON).parent


def database_url(environ=os.environ) -> str:
    """The cluster's database on the PostgreSQL server of DATABASE_URL (or the default one):
    only ntm_cluster is ever created or dropped."""
    parts = urllib.parse.urlsplit(environ.get("DATABASE_URL", ""))
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        parts = urllib.parse.urlsplit(DEFAULT_SERVER)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{DATABASE_NAME}", query=""))


def ports(base: int) -> dict:
    return {
        "balancer": base,
        "web1": base + 1,
        "web2": base + 2,
        "redis": base + 3,
        "s3": base + 4,
    }


def missing_tools() -> list[str]:
    needed = {"haproxy": "haproxy", "redis-server": "redis-server"}
    missing = [package for tool, package in needed.items() if shutil.which(tool) is None]
    for tool, package in (("gunicorn", "gunicorn"), ("moto_server", "moto[server]")):
        if not (BIN / tool).exists():
            missing.append(f"{package} (pip, the dev dependencies: make install)")
    return missing


def load_state() -> dict:
    return json.loads(STATE.read_text()) if STATE.exists() else {}


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped) is not alive.
    with contextlib.suppress(OSError):
        if Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z"):
            return False
    return True


def wait_port(port: int, seconds: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"a process exited ({proc.returncode}) before listening on {port}")
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.3).close()
            return
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on 127.0.0.1:{port} after {seconds:.0f} s")


def http_status(url: str, timeout: float = 5) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def spawn(name: str, args: list[str], env: dict, state: dict) -> subprocess.Popen:
    """Start ``args`` in a process group of its own, output to .cluster/<name>.log."""
    log = (RUN_DIR / f"{name}.log").open("ab")
    with log:
        proc = subprocess.Popen(  # noqa: S603 - our own programs and arguments
            args,
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    state["processes"][name] = {"pid": proc.pid, "args": args}
    STATE.write_text(json.dumps(state, indent=2))
    return proc


def portal_env(state: dict) -> dict:
    p = state["ports"]
    env = {
        **os.environ,
        "DATABASE_URL": state["database_url"],
        "DEBUG": "0",
        "SECRET_KEY": state["secret_key"],
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "JOBS_REDIS_URL": f"redis://127.0.0.1:{p['redis']}/1",
        # Object storage (read by the storage settings where the code has them).
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{p['s3']}",
        "AWS_ACCESS_KEY_ID": "cluster",
        "AWS_SECRET_ACCESS_KEY": "cluster-secret",  # noqa: S105 - the local moto server's
        "AWS_S3_REGION_NAME": "us-east-1",
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "LOG_LEVEL": "WARNING",
    }
    if state.get("cache_url"):
        env["CACHE_URL"] = state["cache_url"]
    else:
        env.pop("CACHE_URL", None)
    return env


def manage(env: dict, *args: str, quiet: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [PYTHON, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        check=False,
        capture_output=quiet,
        text=True,
    )


def prepare_database(url: str, *, fresh: bool, env: dict) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    assert parts.path == f"/{DATABASE_NAME}", parts.path  # never anything else
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if fresh:
            conn.execute(f"DROP DATABASE IF EXISTS {DATABASE_NAME} WITH (FORCE)")
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(f"CREATE DATABASE {DATABASE_NAME}")
    steps = [("migrate", "--noinput", "-v0")]
    if not exists:
        steps += [("load_admin_units", "-v0"), ("load_criteria", "-v0"), ("load_demo", "-v0")]
    steps.append(("collectstatic", "--noinput", "-v0"))
    for step in steps:
        started = time.perf_counter()
        if manage(env, *step).returncode != 0:
            raise SystemExit(f"manage.py {' '.join(step)} failed")
        print(f"  {step[0]}: {time.perf_counter() - started:.1f} s")


def cache_works(env: dict) -> bool:
    """Whether the code understands CACHE_URL=redis://... (Django's Redis backend): a set and a
    get in a separate process. When it does not, the servers keep their per-process cache."""
    probe = (
        "from django.core.cache import cache; cache.set('cluster', 1); "
        "assert cache.get('cluster') == 1"
    )
    return manage(env, "shell", "-c", probe, quiet=True).returncode == 0


def haproxy_config(state: dict, health: str) -> str:
    p, workers = state["ports"], state["workers"]
    return f"""# Written by bench/cluster.py; regenerated at every start.
global
    maxconn 2000
    pidfile {RUN_DIR / "haproxy.pid"}

defaults
    mode http
    option httplog
    log stdout format raw local0 info
    timeout connect 2s
    timeout client 120s
    timeout server 120s
    timeout queue 60s
    # A connection a server refuses (or that does not open in 2 s) is retried, on the other
    # server: the request was never sent, so this is safe for a POST too.
    retries 5
    option redispatch 1
    # A request whose server closed the connection without answering (it died mid-request)
    # is replayed too, but only if it is safe to replay: never a POST (below).
    retry-on conn-failure empty-response response-timeout

frontend portal
    bind 127.0.0.1:{p["balancer"]}
    option forwardfor
    default_backend web

backend web
    balance roundrobin
    http-request disable-l7-retry if METH_POST
    option httpchk GET {health}
    http-check expect status 200
    # A refused connection marks a server down at once; a busy one is given 5 s to answer
    # (a sync worker answers one request at a time). At most one request per worker is sent
    # to a server; the others wait in HAProxy's queue, not in gunicorn's backlog, so the
    # health check is never stuck behind them and a queued request can go to either server.
    # A connection refused by a server in use marks it down at once (observe layer4), so the
    # requests queued for it are retried on the other one rather than on it again.
    timeout check 5s
    default-server inter 1s fastinter 500ms downinter 1s fall 2 rise 2 maxconn {workers}
    default-server observe layer4 error-limit 1 on-error mark-down
    server web1 127.0.0.1:{p["web1"]} check
    server web2 127.0.0.1:{p["web2"]} check
"""


def start(args) -> int:
    missing = missing_tools()
    if missing:
        print("make cluster needs, missing here: " + ", ".join(missing), file=sys.stderr)
        print("On Debian: apt-get install haproxy redis-server (as root).", file=sys.stderr)
        return 1
    previous = load_state()
    if any(alive(p["pid"]) for p in previous.get("processes", {}).values()):
        print("The cluster is already running (make cluster-stop first):")
        return status(args)
    RUN_DIR.mkdir(mode=0o700, exist_ok=True)
    state = {
        "ports": ports(args.port),
        "database_url": database_url(),
        "workers": args.workers,
        # The load test signs its users' sessions with the servers' key (.cluster/ is 0700).
        "secret_key": os.environ.get("SECRET_KEY") or "cluster-only-insecure-key",
        "processes": {},
    }
    STATE.write_text(json.dumps(state, indent=2))
    p = state["ports"]
    for name, port in p.items():
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                print(f"port {port} ({name}) is taken: choose CLUSTER_PORT", file=sys.stderr)
                return 1
    try:
        redis = spawn(
            "redis",
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(p["redis"]),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(RUN_DIR),
            ],
            dict(os.environ),
            state,
        )
        wait_port(p["redis"], 10, redis)
        s3 = spawn(
            "s3",
            [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(p["s3"])],
            dict(os.environ),
            state,
        )
        wait_port(p["s3"], 30, s3)
        env = portal_env(state)
        make_bucket(env)
        print(f"database {DATABASE_NAME} ({'re-created' if args.fresh else 'kept if present'}):")
        prepare_database(state["database_url"], fresh=args.fresh, env=env)
        cache_url = f"redis://127.0.0.1:{p['redis']}/0"
        if cache_works({**env, "CACHE_URL": cache_url}):
            state["cache_url"] = cache_url
        else:
            print("  note: this code has no redis:// cache backend; each server keeps its own")
        STATE.write_text(json.dumps(state, indent=2))
        env = portal_env(state)
        for name in ("web1", "web2"):
            server = spawn(
                name,
                [
                    PYTHON,
                    "-m",
                    "gunicorn",
                    "ntm_portal.wsgi:application",
                    f"--workers={args.workers}",
                    f"--bind=127.0.0.1:{p[name]}",
                    "--log-level=warning",
                    "--graceful-timeout=10",
                ],
                env,
                state,
            )
            wait_port(p[name], 30, server)
        spawn("worker", [PYTHON, "manage.py", "run_jobs", "--name", "cluster-worker"], env, state)
        health = "/healthz"
        if http_status(f"http://127.0.0.1:{p['web1']}{health}") != 200:
            health = "/accounts/login/"
            print("  note: no /healthz in this code; the balancer checks /accounts/login/")
        state["health"] = health
        config = RUN_DIR / "haproxy.cfg"
        config.write_text(haproxy_config(state, health))
        check = subprocess.run(["haproxy", "-c", "-q", "-f", str(config)], check=False)  # noqa: S603, S607
        if check.returncode != 0:
            raise SystemExit("haproxy refused its configuration (.cluster/haproxy.cfg)")
        balancer = spawn("haproxy", ["haproxy", "-db", "-f", str(config)], dict(os.environ), state)
        wait_port(p["balancer"], 10, balancer)
        deadline = time.monotonic() + 30
        while http_status(f"http://127.0.0.1:{p['balancer']}{health}") != 200:
            if time.monotonic() > deadline:
                raise SystemExit("the balancer does not answer 200 on the health page")
            time.sleep(0.5)
    except BaseException:
        print("start failed; stopping what was started (logs in .cluster/)", file=sys.stderr)
        stop(args)
        raise
    url = f"http://127.0.0.1:{p['balancer']}/"
    print()
    print(f"ntm-portal cluster: {url}")
    print(f"  balancer  haproxy 127.0.0.1:{p['balancer']} (health {health})")
    for name in ("web1", "web2"):
        print(f"  {name}      gunicorn {args.workers} workers 127.0.0.1:{p[name]}")
    print("  worker    manage.py run_jobs")
    print(
        f"  redis     127.0.0.1:{p['redis']} (jobs DB 1"
        + (", cache DB 0)" if state.get("cache_url") else ")")
    )
    print(f"  s3        moto_server 127.0.0.1:{p['s3']} (bucket {BUCKET})")
    print(f"  database  {DATABASE_NAME} on {urllib.parse.urlsplit(state['database_url']).netloc}")
    print("Logs and process ids: .cluster/. Stop everything: make cluster-stop")
    return 0


def make_bucket(env: dict) -> None:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=env["AWS_S3_ENDPOINT_URL"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_S3_REGION_NAME"],
    )
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
        client.create_bucket(Bucket=BUCKET)


def _is_ours(pid: int, args: list[str]) -> bool:
    """The process with this id is still the one we started (ids are reused)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    if not cmdline or not cmdline[0]:
        return False
    # redis-server rewrites its title to "redis-server 127.0.0.1:PORT".
    same_program = Path(cmdline[0].decode().split(" ")[0]).name == Path(args[0]).name
    return same_program or any(a.encode() in cmdline for a in args[1:3])


def stop(args) -> int:
    state = load_state()
    processes = state.get("processes", {})
    if not processes:
        print("no cluster state in .cluster/: nothing to stop")
        return 0
    # The balancer first, so no request reaches a server that is stopping; Redis last.
    order = ["haproxy", "web1", "web2", "worker", "s3", "redis"]
    for name in sorted(processes, key=lambda n: order.index(n) if n in order else 0):
        pid = processes[name]["pid"]
        if not alive(pid) or not _is_ours(pid, processes[name]["args"]):
            continue
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        print(f"stopped {name} (pid {pid})")
    left = [n for n, p in processes.items() if alive(p["pid"]) and _is_ours(p["pid"], p["args"])]
    if left:
        print(f"still running: {', '.join(left)} (see .cluster/state.json)", file=sys.stderr)
        return 1
    STATE.unlink(missing_ok=True)
    return 0


def status(args) -> int:
    state = load_state()
    if not state:
        print("no cluster running (no .cluster/state.json)")
        return 1
    for name, process in state["processes"].items():
        print(f"  {name:<8} pid {process['pid']:<8} {'up' if alive(process['pid']) else 'DOWN'}")
    print(f"URL: http://127.0.0.1:{state['ports']['balancer']}/")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.cluster", description=__doc__.split("\n")[0]
    )
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("CLUSTER_PORT", "8180")),
        help="The balancer's port; the servers, Redis and S3 take the next four (default 8180).",
    )
    parser.add_argument("--workers", type=int, default=2, help="Gunicorn workers per server.")
    parser.add_argument("--fresh", action="store_true", help="Drop and re-create ntm_cluster.")
    args = parser.parse_args(argv)
    return {"start": start, "stop": stop, "status": status}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())

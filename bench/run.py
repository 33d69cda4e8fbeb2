"""National-scale benchmark: dashboards, export, import, the assessment page, throughput.

Runs against the database given by DATABASE_URL (default: the SQLite file bench.sqlite3),
loading the national dataset (units, criteria sets, generate_history) when it is missing and
reusing it otherwise. Prints a table and writes bench/results/<timestamp>.json.

The efficiency figure of a page is the ratio of the server time of a full test-client request
to the time of the bare SQL that request ran: every statement is recorded (SQL and params)
during one request, then re-executed exactly, with its rows fetched, on the same connection
in the same process.

The dashboards cache their rendered body (reports.cache), so each is measured twice: "cold",
with the cache cleared before every request (what the first reader after a write waits for),
and "warm", served from the cache (every later reader until the next write in the province).

Before measuring, the process is settled as ntm_portal.wsgi settles each gunicorn worker
(every view loaded, start-up objects frozen out of the garbage collector's full collections),
so the in-process figures are those of a served request.
"""

import argparse
import asyncio
import datetime
import io
import json
import os
import platform
import statistics
import time
import tracemalloc
from pathlib import Path

from bench.server import free_port, start_gunicorn

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = BASE_DIR / "bench" / "results"
# SQLite's BEGIN IMMEDIATE / COMMIT of an atomic block, which cannot nest in the replay's.
TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK"}
# Every request asks as a browser does, so the figures include compressing the pages
# (ntm_portal.middleware.CompressPagesMiddleware).
BROWSER_ACCEPT_ENCODING = "gzip, deflate, br, zstd"
TARGETS_MS = {"district": 100, "province": 300, "national": 1000, "assessment": 150}
# The open data's national bulk CSV (api.bulk), streamed.
BULK_TARGET_ROWS_PER_S = 20_000
# What `--only` can select; all by default.
SECTIONS = ("pages", "assessment", "api", "bulk", "export", "import", "throughput")


def _setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ntm_portal.settings")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{BASE_DIR / 'bench.sqlite3'}")
    # Production-like: DEBUG off (no query log, cached templates). The key guards nothing.
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-only-insecure-key")
    import django

    django.setup()


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


# ---------------------------------------------------------------------------------------------
# Data and users
# ---------------------------------------------------------------------------------------------


def ensure_data(out):
    from django.core.management import call_command

    from communes.models import Commune
    from criteria import generate

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    if Commune.objects.count() < generate.EXPECTED_COMMUNES or not (
        generate.generated_assessments().exists()
    ):
        out("Loading the national dataset (units, criteria, generate_history)...")
        call_command("load_admin_units", verbosity=0)
        call_command("load_criteria", verbosity=0)
        summary = generate.generate_history()
        for line in summary.lines():
            out("  " + line)
        return round(time.perf_counter() - started, 1)
    return None


def bench_users():
    """A national admin, the office of the largest district, and a commune official there
    with a draft to edit (all reused between runs)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.utils import timezone

    from communes.enums import AssessmentStatus, CommuneKind, Role
    from communes.models import LEGACY_VALID_TO, Commune, District, Membership, Province
    from criteria.models import Assessment, CriteriaSet

    user_model = get_user_model()

    def user(username, **membership):
        obj, _ = user_model.objects.get_or_create(username=username)
        Membership.objects.update_or_create(user=obj, defaults=membership)
        return obj

    district = (
        District.objects.annotate(n=Count("communes"))
        .order_by("-n", "code")
        .select_related("province")
    ).first()
    small = (
        District.objects.annotate(n=Count("communes")).filter(n__gt=0).order_by("n", "code")
    ).first()
    # The largest province of today's map: its dashboard also maps its predecessors'
    # history forward through the merger (reports.dashboard.trend), the heavier page.
    province = (
        Province.objects.valid_on(timezone.localdate())
        .annotate(n=Count("communes"))
        .order_by("-n", "code")
        .first()
    )
    former_province = (
        Province.objects.valid_on(LEGACY_VALID_TO)
        .annotate(n=Count("communes"))
        .order_by("-n", "code")
        .first()
    )
    # A commune of today's map: one closed on 30/06/2025 takes no new dossier.
    commune = (
        Commune.objects.filter(province=province, kind=CommuneKind.COMMUNE).order_by("code").first()
    )
    admin = user("bench-national-admin", role=Role.ADMIN, province=None)
    official = user("bench-commune-official", role=Role.COMMUNE_OFFICIAL, commune=commune)
    criteria_set = CriteriaSet.objects.get(code="NTM_XA_2021_2025")
    draft, _ = Assessment.objects.get_or_create(
        commune=commune,
        criteria_set=criteria_set,
        import_source="bench draft",
        defaults={
            "assessed_on": datetime.date(2025, 12, 20),
            "status": AssessmentStatus.DRAFT,
            "author": official,
        },
    )
    return {
        "admin": admin,
        "official": official,
        "district": district,
        "small_district": small,
        "province": province,
        "former_province": former_province,
        "draft": draft,
        "criteria": list(criteria_set.criteria.order_by("number")),
    }


def _client(user):
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_ENCODING=BROWSER_ACCEPT_ENCODING)
    client.force_login(user)
    return client


# ---------------------------------------------------------------------------------------------
# Pages: time, query count, bare-SQL ratio
# ---------------------------------------------------------------------------------------------


class Recorder:
    """Records (sql, params, many) of every statement, as the backend receives them."""

    def __init__(self):
        self.statements = []

    def __call__(self, execute, sql, params, many, context):
        self.statements.append((sql, params, many))
        return execute(sql, params, many, context)


def capture(fn):
    from django.db import connection

    recorder = Recorder()
    with connection.execute_wrapper(recorder):
        fn()
    return recorder.statements


def replay(statements) -> float:
    """Run the statements again on the same connection, fetching every row; seconds."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql, params, many in statements:
            if sql.split(" ", 1)[0].upper() in TRANSACTION_CONTROL:
                continue  # the replay runs inside its own transaction (savepoints are kept)
            if many:
                cursor.executemany(sql, params)
            else:
                cursor.execute(sql, params)
            if cursor.description is not None:
                cursor.fetchall()
    return time.perf_counter() - started


def measure_page(name, request, *, runs, expect=200, cold=False):
    """``request`` makes one request and returns the response. ``cold``: the cache is cleared
    before every request (outside the timing), so nothing is served from it."""
    from django.core.cache import cache
    from django.db import transaction

    def once():
        if cold:
            cache.clear()
        response = request()
        if response.status_code != expect:
            raise RuntimeError(f"{name}: HTTP {response.status_code}, expected {expect}")
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        return response

    for _ in range(2):
        once()  # warm caches (templates, translations, the database's pages)
    times, cpu = [], []
    for _ in range(runs):
        if cold:
            cache.clear()
        started, started_cpu = time.perf_counter(), time.process_time()
        once()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    statements = capture(once)
    # Writes (the session's last-access update, a saved draft) are replayed inside a
    # transaction that is rolled back, so the replay changes nothing.
    sql_times = []
    for _ in range(runs):
        with transaction.atomic():
            sql_times.append(replay(statements))
            transaction.set_rollback(True)
    median, sql_median = statistics.median(times), statistics.median(sql_times)
    return {
        "name": name,
        "runs": runs,
        "median_ms": _ms(median),
        "p95_ms": _ms(_p95(times)),
        # This process's CPU time: on SQLite (in the process) the whole request's work,
        # which other jobs on a shared machine do not lengthen as they lengthen the wall time.
        "cpu_median_ms": _ms(statistics.median(cpu)),
        "queries": len(statements),
        "sql_median_ms": _ms(sql_median),
        "efficiency": round(median / sql_median, 2) if sql_median else None,
    }


def bench_pages(ctx, *, runs):
    from django.urls import reverse

    admin = _client(ctx["admin"])
    from communes.models import LEGACY_VALID_TO

    district, small, province = ctx["district"], ctx["small_district"], ctx["province"]
    former = ctx["former_province"]
    # Districts exist until 30/06/2025: their dashboards on their last day.
    last_day = f"?as_of={LEGACY_VALID_TO.isoformat()}"
    url_district = reverse("reports:district_dashboard", args=[district.code]) + last_day
    url_small = reverse("reports:district_dashboard", args=[small.code]) + last_day
    url_province = reverse("reports:province_dashboard", args=[province.code])
    url_former = reverse("reports:province_dashboard", args=[former.code]) + last_day
    url_national = reverse("reports:national_dashboard")
    from django.core.cache import cache

    def dashboard(name, url, *, cold):
        return measure_page(
            f"{name} ({'cold' if cold else 'warm'})", lambda: admin.get(url), runs=runs, cold=cold
        )

    pages = [
        dashboard("district dashboard", url_district, cold=True),
        dashboard("district dashboard", url_district, cold=False),
        dashboard("province dashboard", url_province, cold=True),
        dashboard("province dashboard", url_province, cold=False),
        dashboard("province dashboard, former map", url_former, cold=True),
        measure_page("national overview", lambda: admin.get(url_national), runs=runs),
    ]
    for page in pages[:2]:
        page["area"] = f"{district.code} {district.name} ({district.n} communes), 30/06/2025"
    for page in pages[2:4]:
        page["area"] = f"{province.code} {province.name} ({province.n} communes), today"
    pages[4]["area"] = f"{former.code} {former.name} ({former.n} communes), 30/06/2025"
    # Query counts must not depend on the size of the area.
    cache.clear()
    pages[0]["queries_smallest_district"] = len(capture(lambda: admin.get(url_small)))
    pages[1]["queries_smallest_district"] = len(capture(lambda: admin.get(url_small)))
    return pages


def bench_assessment(ctx, *, runs):
    from django.urls import reverse

    from criteria.models import Assessment

    client = _client(ctx["official"])
    draft = ctx["draft"]
    url = reverse("criteria:assessment_edit", args=[draft.pk])
    statuses = ("met", "basically_met", "not_met")

    def post():
        version = Assessment.objects.values_list("version", flat=True).get(pk=draft.pk)
        data = {"version": str(version), "notes": "bench"}
        for i, criterion in enumerate(ctx["criteria"]):
            data[f"c{criterion.pk}-status"] = statuses[(i + version) % 3]
            data[f"c{criterion.pk}-note"] = f"bench {version}"
        return client.post(url, data)

    opened = measure_page("assessment page (open)", lambda: client.get(url), runs=runs)
    saved = measure_page("assessment page (save draft)", post, runs=runs, expect=302)
    return [opened, saved]


# ---------------------------------------------------------------------------------------------
# The open-data API and bulk files
# ---------------------------------------------------------------------------------------------


def bench_api(ctx, *, runs):
    """The API's area figures, cold (built: the cache cleared before each request) and warm
    (from the cache, as the pages' bodies), and a 304 to a poll with If-None-Match. The same
    areas and dates as the dashboard pages, each page measured again cold alongside: the API
    reads the same builder (reports.dashboard), so its cold time is compared with that
    page's in the same run (``page_ratio``: API p95 / page p95), whatever else the machine
    is doing."""
    from django.urls import reverse

    from communes.models import LEGACY_VALID_TO

    admin = _client(ctx["admin"])
    district, province, former = ctx["district"], ctx["province"], ctx["former_province"]
    last_day = f"?as_of={LEGACY_VALID_TO.isoformat()}"
    # (name, API URL, page URL, area)
    areas = [
        (
            "district dashboard",
            f"/api/v1/dashboards/districts/{district.code}/{last_day}",
            reverse("reports:district_dashboard", args=[district.code]) + last_day,
            f"{district.code} {district.name} ({district.n} communes), 30/06/2025",
        ),
        (
            "province dashboard",
            f"/api/v1/dashboards/provinces/{province.code}/",
            reverse("reports:province_dashboard", args=[province.code]),
            f"{province.code} {province.name} ({province.n} communes), today",
        ),
        (
            "province dashboard, former map",
            f"/api/v1/dashboards/provinces/{former.code}/{last_day}",
            reverse("reports:province_dashboard", args=[former.code]) + last_day,
            f"{former.code} {former.name} ({former.n} communes), 30/06/2025",
        ),
    ]
    pages = []
    for name, api_url, page_url, area in areas:
        cold, warm = (
            measure_page(
                f"{name} API ({'cold' if cold else 'warm'})",
                lambda url=api_url: admin.get(url),
                runs=runs,
                cold=cold,
            )
            for cold in (True, False)
        )
        page = measure_page(
            f"{name} page (cold, same run)",
            lambda url=page_url: admin.get(url),
            runs=runs,
            cold=True,
        )
        cold["area"] = warm["area"] = page["area"] = area
        cold["page_ratio"] = round(cold["p95_ms"] / page["p95_ms"], 2)
        pages += [cold, warm, page]
    etag = admin.get(areas[1][1]).headers["ETag"]
    poll = measure_page(
        "province dashboard API 304",
        lambda: admin.get(areas[1][1], headers={"If-None-Match": etag}),
        runs=runs,
        expect=304,
    )
    poll["area"] = areas[1][3]
    return [*pages, poll]


def bench_bulk(ctx, *, memory_rows=200_000):
    """The national bulk CSV files, read to their end as a client would (rows/s), then read
    again under tracemalloc for their first ``memory_rows`` rows (tracemalloc slows every
    allocation, so it is not on while timing): the peak stays flat as rows are read and
    written in chunks, whatever the file's size."""
    from django.test import Client

    # Uncompressed, as curl or a script downloads it (rows are counted in the body).
    client = Client(HTTP_HOST="127.0.0.1")
    found = []
    for name in ("assessments", "results", "recognitions"):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(f"/open-data/{name}.csv")
        size = rows = 0
        for chunk in response.streaming_content:
            size += len(chunk)
            rows += chunk.count(b"\n")
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - started_cpu
        rows -= 1  # the header
        tracemalloc.start()
        response = client.get(f"/open-data/{name}.csv")
        read = 0
        for chunk in response.streaming_content:
            read += chunk.count(b"\n")
            if read > memory_rows:
                break
        response.close()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        found.append(
            {
                "name": f"bulk {name}.csv",
                "rows": rows,
                "seconds": round(elapsed, 2),
                "rows_per_s": round(rows / elapsed) if elapsed else None,
                # Rows per second of this process's CPU (on SQLite, the database's too).
                "rows_per_cpu_s": round(rows / cpu) if cpu else None,
                "megabytes": round(size / 2**20, 1),
                "peak_memory_mb": round(peak / 2**20, 1),
                "memory_rows": min(rows, memory_rows),
            }
        )
    return found


# ---------------------------------------------------------------------------------------------
# Export and import
# ---------------------------------------------------------------------------------------------


def bench_export(ctx, *, runs):
    from django.urls import reverse

    admin = _client(ctx["admin"])
    url = reverse("reports:province_dashboard_xlsx", args=[ctx["province"].code])
    admin.get(url)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = admin.get(url)
        times.append(time.perf_counter() - started)
    assert response.status_code == 200, response.status_code
    tracemalloc.start()
    admin.get(url)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "name": "province matrix export (xlsx)",
        "area": f"{ctx['province'].code} {ctx['province'].name}",
        "runs": runs,
        "median_ms": _ms(statistics.median(times)),
        "bytes": len(response.content),
        "peak_memory_mb": round(peak / 2**20, 1),
    }


def national_matrix(rows: int | None) -> tuple[bytes, int]:
    """A filled matrix workbook for the first ``rows`` rural communes (all when None)."""
    import openpyxl

    from communes.models import LEGACY_VALID_TO, Commune

    # Every commune of the pre-2025 map, as the issue counts them (10,051 × 19).
    communes = (
        Commune.objects.valid_on(LEGACY_VALID_TO)
        .order_by("code")
        .values_list("code", "name", "kind")
    )
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("NTM 2021-2025")
    ws.append(["Mã ĐVHC", "Đơn vị", "Ngày đánh giá", *range(1, 20)])
    marks = ("Đ", "Đ", "Đ", "CBĐ", "CĐ")
    count = 0
    for i, (code, name, _kind) in enumerate(communes):
        if rows is not None and count >= rows:
            break
        # 20/06/2025: the old communes hold the map until 30/06/2025 (a later date is
        # refused with their successor named, criteria.imports.matching).
        ws.append([code, name, "20/06/2025", *(marks[(i + n) % 5] for n in range(19))])
        count += 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), count


def _import_once(ctx, data, *, apply):
    from django.db import transaction

    from communes.enums import AssessmentStatus
    from criteria.imports import services
    from criteria.models import CriteriaSet

    options = services.ImportOptions(
        criteria_set_id=CriteriaSet.objects.get(code="NTM_XA_2021_2025").pk,
        status=AssessmentStatus.DRAFT,
        fmt="matrix",
    )
    started = time.perf_counter()
    preview = services.dry_run(
        user=ctx["admin"], data=data, file_name="bench.xlsx", options=options
    )
    dry = time.perf_counter() - started
    applied = None
    if apply:
        # Rolled back afterwards, so that the dataset stays as generated.
        with transaction.atomic():
            started = time.perf_counter()
            services.apply_import(
                user=ctx["admin"],
                data=data,
                file_name="bench.xlsx",
                options=options,
                fingerprint=preview.fingerprint,
            )
            applied = time.perf_counter() - started
            transaction.set_rollback(True)
    return preview, dry, applied


def bench_import(ctx, *, rows, budget_s, probe_rows=200):
    """Dry run and apply of the matrix import. The whole country, unless a sample of ``rows``
    was asked for, or a ``probe_rows`` sample predicts more than ``budget_s`` for both (the
    probe is then the reported sample)."""
    from communes.models import LEGACY_VALID_TO, Commune

    total = Commune.objects.valid_on(LEGACY_VALID_TO).count()
    data, n = national_matrix(rows if rows is not None else probe_rows)
    tracemalloc.start()
    preview, dry, applied = _import_once(ctx, data, apply=True)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    if rows is None and (dry + applied) * total / n <= budget_s:
        data, n = national_matrix(None)
        tracemalloc.start()
        preview, dry, applied = _import_once(ctx, data, apply=True)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    if preview.errors:
        raise RuntimeError(f"import errors: {preview.errors[:3]}")
    return {
        "name": "matrix import (19 criteria)",
        "rows": n,
        "sample": n < total,
        "communes_in_country": total,
        "preview": preview.counts,
        "dry_run_s": round(dry, 2),
        "dry_run_rows_per_s": round(n / dry, 1),
        "apply_s": round(applied, 2),
        "apply_rows_per_s": round(n / applied, 1),
        "projected_country_s": round((dry + applied) * total / n, 1),
        "peak_memory_mb": round(peak / 2**20, 1),
        "note": "timed with tracemalloc on; apply includes the dry run it repeats first",
    }


# ---------------------------------------------------------------------------------------------
# Throughput under gunicorn
# ---------------------------------------------------------------------------------------------


async def _load(port, path, cookie, *, seconds, clients):
    """``clients`` concurrent loops of GET requests to 127.0.0.1 (only) for ``seconds``."""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: sessionid={cookie}\r\n"
        f"Accept-Encoding: {BROWSER_ACCEPT_ENCODING}\r\nConnection: close\r\n\r\n"
    ).encode()
    ok, errors, latencies = 0, 0, []
    deadline = time.perf_counter() + seconds

    async def client():
        nonlocal ok, errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(request)
                await writer.drain()
                body = await reader.read()
                writer.close()
                status = body[9:12]
            except OSError:
                errors += 1
                continue
            latencies.append(time.perf_counter() - started)
            if status == b"200":
                ok += 1
            else:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    return ok, errors, elapsed, latencies


def bench_throughput(ctx, *, seconds, clients, workers=2):
    """The login page (baseline), then the district dashboard with the cache on (as
    configured) and off (CACHE_URL=dummycache://: every request renders the page)."""
    results = _throughput(ctx, seconds=seconds, clients=clients, workers=workers, cache=True)
    results += _throughput(
        ctx, seconds=seconds, clients=clients, workers=workers, cache=False, baseline=False
    )
    base = results[0]["requests_per_s"]
    for run in results[1:]:
        run["ratio_to_baseline"] = round(run["requests_per_s"] / base, 2) if base else 0
    return results


def _throughput(ctx, *, seconds, clients, workers, cache, baseline=True):
    from django.test import Client
    from django.urls import reverse

    client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_ENCODING=BROWSER_ACCEPT_ENCODING)
    client.force_login(ctx["admin"])
    cookie = client.cookies["sessionid"].value
    port = free_port()
    # The environment's CONN_MAX_AGE (settings default: persistent connections) and cache.
    env = dict(os.environ, ALLOWED_HOSTS="127.0.0.1")
    if not cache:
        env["CACHE_URL"] = "dummycache://"
    server = start_gunicorn(port=port, workers=workers, env=env)
    results = []
    try:
        # Districts exist until 30/06/2025: the dashboard of its last day.
        dashboard = reverse("reports:district_dashboard", args=[ctx["district"].code])
        dashboard += "?as_of=2025-06-30"
        pages = [
            (
                "district dashboard (cache on)" if cache else "district dashboard (cache off)",
                dashboard,
            )
        ]
        if baseline:
            pages.insert(0, ("login page (baseline)", reverse("login")))
        for name, path in pages:
            asyncio.run(_load(port, path, cookie, seconds=2, clients=2))  # warm both workers
            ok, errors, elapsed, latencies = asyncio.run(
                _load(port, path, cookie, seconds=seconds, clients=clients)
            )
            results.append(
                {
                    "name": f"throughput: {name}",
                    "workers": workers,
                    "clients": clients,
                    "seconds": round(elapsed, 1),
                    "requests": ok + errors,
                    "errors": errors,
                    "requests_per_s": round(ok / elapsed, 1),
                    "median_ms": _ms(statistics.median(latencies)) if latencies else None,
                    "p95_ms": _ms(_p95(latencies)) if latencies else None,
                }
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def machine():
    from django.conf import settings
    from django.db import connection

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        version = cursor.fetchone()[0]
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "database": f"{connection.vendor} {version}",
        "conn_max_age": connection.settings_dict["CONN_MAX_AGE"],
        "cache": settings.CACHES["default"]["BACKEND"],
    }


def dataset():
    from communes.models import Commune, District, Province, Village
    from criteria.models import Assessment, CriterionResult, Recognition, Target

    return {
        "provinces": Province.objects.count(),
        "districts": District.objects.count(),
        "communes": Commune.objects.count(),
        "villages": Village.objects.count(),
        "assessments": Assessment.objects.count(),
        "criterion_results": CriterionResult.objects.count(),
        "recognitions": Recognition.objects.count(),
        "targets": Target.objects.count(),
    }


def table(report) -> str:
    lines = [
        f"ntm-portal benchmark — {report['machine']['date']} — {report['machine']['database']} — "
        f"{report['machine']['cores']} cores ({report['machine']['cpu']}) — "
        f"CONN_MAX_AGE {report['machine']['conn_max_age']}, cache {report['machine']['cache']}",
        "dataset: " + ", ".join(f"{k} {v:,}" for k, v in report["dataset"].items()),
        "load average (1/5/15 min) on "
        f"{report['machine']['cores']} cores: before "
        + " ".join(f"{x:.2f}" for x in report["load_average"])
        + ", after "
        + " ".join(f"{x:.2f}" for x in report["load_average_after"]),
        "",
        f"{'measure':<32} {'median':>9} {'p95':>9} {'CPU':>9} {'queries':>8} {'bare SQL':>9} "
        f"{'ratio':>6}  target",
    ]
    for page in report["pages"]:
        key = page["name"].split()[0]
        target = TARGETS_MS.get(key)
        verdict = ""
        if target:
            verdict = f"p95 ≤ {target} ms: {'met' if page['p95_ms'] <= target else 'MISSED'}"
        queries = str(page["queries"])
        if "queries_smallest_district" in page:
            queries += f"/{page['queries_smallest_district']}"
        if "page_ratio" in page:
            verdict += f"; {page['page_ratio']}× the page's p95"
        lines.append(
            f"{page['name']:<32} {page['median_ms']:>7.1f}ms {page['p95_ms']:>7.1f}ms "
            f"{page['cpu_median_ms']:>7.1f}ms {queries:>8} {page['sql_median_ms']:>7.1f}ms "
            f"{page['efficiency']:>6}  {verdict}"
        )
    for bulk in report.get("bulk", []):
        verdict = "met" if bulk["rows_per_s"] >= BULK_TARGET_ROWS_PER_S else "MISSED"
        lines.append(
            f"{bulk['name']:<32} {bulk['rows_per_s']:>7,} rows/s, "
            f"{bulk['rows_per_cpu_s']:,} per CPU second ({bulk['rows']:,} rows, "
            f"{bulk['megabytes']} MB in {bulk['seconds']} s; peak {bulk['peak_memory_mb']} MB over "
            f"{bulk['memory_rows']:,} rows)"
            f"  ≥ {BULK_TARGET_ROWS_PER_S:,} rows/s: {verdict}"
        )
    export = report.get("export")
    if export:
        lines.append(
            f"{export['name']:<32} {export['median_ms']:>7.1f}ms   peak "
            f"{export['peak_memory_mb']} MB ({export['area']}, {export['bytes']:,} bytes)"
        )
    imp = report.get("import")
    if imp:
        sample = f"SAMPLE of {imp['rows']:,} rows" if imp["sample"] else f"{imp['rows']:,} rows"
        verdict = (
            "met"
            if imp["projected_country_s"] <= 60 and imp["peak_memory_mb"] <= 1024
            else "MISSED"
        )
        lines.append(
            f"{'matrix import: ' + sample:<32} dry run {imp['dry_run_rows_per_s']:,} rows/s "
            f"({imp['dry_run_s']} s), apply {imp['apply_rows_per_s']:,} rows/s "
            f"({imp['apply_s']} s), peak {imp['peak_memory_mb']} MB; whole country ≈ "
            f"{imp['projected_country_s']} s (target ≤ 60 s, ≤ 1 GB: {verdict})"
        )
    for run in report.get("throughput", []):
        ratio = f", {run['ratio_to_baseline']}× the baseline" if "ratio_to_baseline" in run else ""
        lines.append(
            f"{run['name']:<32} {run['requests_per_s']:>7.1f} req/s, {run['errors']} errors "
            f"({run['clients']} clients, {run['seconds']} s, {run['workers']} workers, "
            f"median {run['median_ms']} ms, p95 {run['p95_ms']} ms{ratio})"
        )
    lines.append(
        "CPU = median CPU time of this process per request (on SQLite the database's work "
        "too; on PostgreSQL the server's is not in it); "
        "ratio = server time of the page / time of its own SQL replayed on the connection "
        "(target ≤ 1.5); queries district = largest/smallest district; cold = cache cleared "
        "before each request, warm = served from the cache; the process is settled as "
        "a gunicorn worker is (ntm_portal.wsgi.settle_process: views loaded, gc.freeze)"
    )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="Requests per page (default 20).")
    parser.add_argument("--load-seconds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument(
        "--import-rows",
        type=int,
        default=None,
        help="Import a sample of this many rows (default: the whole country if a 200-row "
        "probe predicts under --import-budget seconds, else that probe is the sample).",
    )
    parser.add_argument("--import-budget", type=int, default=300)
    parser.add_argument(
        "--only",
        action="append",
        choices=SECTIONS,
        metavar="SECTION",
        help=f"Run only this section (repeatable): {', '.join(SECTIONS)}. Default: all.",
    )
    args = parser.parse_args(argv)
    only = set(args.only or SECTIONS)

    _setup_django()
    generated_s = ensure_data(print)
    ctx = bench_users()
    # As a gunicorn worker starts (ntm_portal.wsgi): every view loaded, start-up objects frozen.
    from ntm_portal.wsgi import settle_process

    settle_process()
    print("pages...")
    report = {"machine": machine(), "dataset": dataset(), "generate_history_s": generated_s}
    report["load_average"] = os.getloadavg()
    report["pages"] = []
    if "pages" in only:
        report["pages"] += bench_pages(ctx, runs=args.runs)
    if "assessment" in only:
        report["pages"] += bench_assessment(ctx, runs=args.runs)
    if "api" in only:
        report["pages"] += bench_api(ctx, runs=args.runs)
    if "bulk" in only:
        print("bulk files...")
        report["bulk"] = bench_bulk(ctx)
    if "export" in only:
        print("export...")
        report["export"] = bench_export(ctx, runs=max(3, args.runs // 4))
    if "import" in only:
        print("import...")
        report["import"] = bench_import(ctx, rows=args.import_rows, budget_s=args.import_budget)
    if "throughput" in only:
        print("throughput...")
        report["throughput"] = bench_throughput(
            ctx, seconds=args.load_seconds, clients=args.clients
        )
    # The machine's load while measuring (1, 5, 15 minutes), before and after: a shared
    # machine's figures mean little without it.
    report["load_average_after"] = os.getloadavg()

    text = table(report)
    print()
    print(text)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{stamp}-{report['machine']['database'].split()[0]}.json"
    report["table"] = text
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    print(f"\nwritten: {path.relative_to(BASE_DIR)}")

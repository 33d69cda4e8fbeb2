"""A request id in every log record of a request (ntm_portal.request_id), taken from the
balancer's X-Request-ID when it is a short token, and logs as JSON lines with LOG_FORMAT=json."""

import io
import json
import logging
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory

from ntm_portal.request_id import (
    JsonFormatter,
    RequestIdFilter,
    RequestIdMiddleware,
    current_request_id,
    end_of_request,
    request_id_from,
)

log = logging.getLogger("ntm_portal.tests.request_id")


@pytest.fixture
def records():
    """The records of ``log`` as the console handler formats them (plain and JSON)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    log.removeHandler(handler)


def view_that_logs(request):
    log.info("inside the view")
    return HttpResponse("ok")


def test_the_balancers_id_is_kept_and_in_every_record_of_the_request(records):
    middleware = RequestIdMiddleware(view_that_logs)
    request = RequestFactory().get("/", HTTP_X_REQUEST_ID="lb-7f3a.9_x")
    response = middleware(request)
    end_of_request()  # what request_finished does
    log.info("after the request")
    assert response["X-Request-ID"] == "lb-7f3a.9_x"
    assert request.request_id == "lb-7f3a.9_x"
    inside, after = records()
    assert inside["request_id"] == "lb-7f3a.9_x" and inside["message"] == "inside the view"
    assert after["request_id"] == "-"


@pytest.mark.parametrize(
    "sent",
    ["", "has space", "new\nline", "x" * 65, "<script>", "ünicode", "a;b", '"quoted"'],
)
def test_an_invalid_id_is_replaced_by_a_new_one(sent):
    made = request_id_from(sent)
    assert made != sent and re.fullmatch(r"[0-9a-f]{32}", made)


def test_each_request_gets_its_own_id(client, records):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert first != second
    assert current_request_id() == "-"  # request_finished forgot it


@pytest.mark.django_db
def test_djangos_own_error_records_carry_the_id(client, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-404")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "req-404"
    [record] = [r for r in caplog.records if r.name == "django.request"]
    RequestIdFilter().filter(record)
    assert record.request_id == "req-404"


def test_json_records_hold_the_exception():
    try:
        raise ValueError("boom")
    except ValueError:
        record = log.makeRecord(log.name, logging.ERROR, __file__, 1, "failed %s", ("x",), None)
        record.exc_info = sys.exc_info()
    RequestIdFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "failed x" and entry["level"] == "ERROR"
    assert entry["request_id"] == "-"
    assert "ValueError: boom" in entry["exception"]
    assert entry["time"].endswith("+00:00")


def _served_log(log_format: str) -> str:
    """What a process with LOG_FORMAT=log_format writes to stderr: a record outside any
    request, and one inside a request that came with an id."""
    script = (
        "import django; django.setup()\n"
        "import logging; logging.getLogger('ntm_portal').warning('seen %s', 'here')\n"
        "from django.test import RequestFactory\n"
        "from ntm_portal.request_id import RequestIdMiddleware\n"
        "def view(request):\n"
        "    logging.getLogger('ntm_portal').warning('in a request')\n"
        "    from django.http import HttpResponse; return HttpResponse()\n"
        "RequestIdMiddleware(view)(RequestFactory().get('/', HTTP_X_REQUEST_ID='req-9'))\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "ntm_portal.settings",
            "SECRET_KEY": "test-only-insecure-key",
            "LOG_FORMAT": log_format,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_log_format_json_writes_one_object_per_line():
    lines = _served_log("json").strip().splitlines()
    entries = [json.loads(line) for line in lines]
    assert [(e["message"], e["request_id"]) for e in entries] == [
        ("seen here", "-"),
        ("in a request", "req-9"),
    ]
    assert {e["logger"] for e in entries} == {"ntm_portal"}


def test_plain_logs_by_default_with_the_id_in_brackets():
    lines = _served_log("plain").strip().splitlines()
    assert lines[0].endswith("WARNING ntm_portal [-] seen here")
    assert lines[1].endswith("WARNING ntm_portal [req-9] in a request")


def test_an_unknown_log_format_is_refused():
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=settings.BASE_DIR,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "ntm_portal.settings",
            "SECRET_KEY": "x",
            "LOG_FORMAT": "xml",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "LOG_FORMAT must be plain or json" in result.stderr

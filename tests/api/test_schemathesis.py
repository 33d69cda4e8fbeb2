"""Schemathesis against the OpenAPI schema: for every operation, generated requests (a bounded
number of examples, on the demo data, as anonymous callers and as a token holder) get no 5xx
and no answer that breaks the schema.

Schemathesis's own pytest plugin does not run on pytest 9 yet (it reads a private attribute
of pytest's test items), so each operation is a plain parametrized test that draws its cases
with Hypothesis from the operation's strategy."""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.services import issue_token
from ntm_portal.wsgi import application

pytestmark = pytest.mark.django_db

# The schema the portal serves at /api/v1/schema/, generated in-process (no request needed).
SCHEMA = schemathesis.openapi.from_dict(
    json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))
)
SCHEMA.app = application
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
EXAMPLES = 20


def test_every_endpoint_is_in_the_schema():
    assert len(OPERATIONS) == 13


@pytest.fixture
def connection_kept_open():
    """The WSGI application sends request_started and request_finished, whose
    close_old_connections would close the test transaction's connection on PostgreSQL (inside
    the atomic block autocommit differs from its setting); Django's test client disconnects it
    the same way around each request."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@pytest.mark.usefixtures("connection_kept_open")
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
@pytest.mark.parametrize("caller", ["anonymous", "token"])
def test_answers_match_the_schema(operation, caller, django_user_model):
    # The WSGI test transport does not decompress: ask for the body as it is.
    headers = {"Accept-Encoding": "identity"}
    if caller == "token":
        user = django_user_model.objects.get(username="hatinh")
        headers["Authorization"] = "Bearer " + issue_token(user=user, name="schemathesis")[1]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        # Every check but "a schema-valid request is accepted": the filters refuse unknown
        # codes and dates with a documented 400, which the schema's string types allow.
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    check()

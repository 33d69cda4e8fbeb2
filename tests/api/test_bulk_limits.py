"""The bulk files have limits of their own (OPEN_DATA_RATE_ADDRESS, OPEN_DATA_RATE_TOKEN),
counted apart from the API's: over the limit a 429 in the caller's language with
Retry-After, before any row is read."""

import pytest
from django.test import Client

from .test_polling import set_rates

pytestmark = pytest.mark.django_db

FILES = (
    "/open-data/assessments.csv",
    "/open-data/recognitions.csv",
    "/open-data/ntm-open-data.jsonl",
)


@pytest.fixture
def low_bulk_limits(settings):
    set_rates(settings, bulk_address="2/minute", bulk_token="3/minute")


def test_an_address_over_the_bulk_limit_gets_a_clear_429(
    client, low_bulk_limits, django_assert_num_queries
):
    assert client.get(FILES[0]).status_code == 200
    assert client.get(FILES[2]).status_code == 200
    # Every file counts against the same limit; the refusal reads no row.
    with django_assert_num_queries(0):
        refused = client.get(FILES[1])
    assert refused.status_code == 429
    assert refused["Content-Type"] == "text/plain; charset=utf-8"
    seconds = int(refused["Retry-After"])
    assert 0 < seconds <= 60
    text = refused.content.decode()
    assert text.startswith("Quá nhiều lượt tải")
    assert f"{seconds} giây" in text
    # Another address has its own count.
    assert client.get(FILES[1], REMOTE_ADDR="10.0.0.9").status_code == 200


def test_the_429_speaks_english_to_an_english_reader(client, low_bulk_limits):
    client.cookies["django_language"] = "en"
    for _ in range(2):
        client.get(FILES[0])
    refused = client.get(FILES[0])
    assert refused.status_code == 429
    assert refused.content.decode().startswith("Too many downloads of the bulk files")


def test_the_bulk_limit_is_apart_from_the_apis(client, settings):
    set_rates(settings, bulk_address="1/minute", address="100/minute")
    assert client.get(FILES[0]).status_code == 200
    assert client.get(FILES[0]).status_code == 429
    # The API still answers the same address, and its requests do not use up the files'.
    assert client.get("/api/v1/provinces/").status_code == 200
    set_rates(settings, bulk_address="1/minute", address="1/minute")
    assert client.get("/api/v1/provinces/", REMOTE_ADDR="10.0.0.5").status_code == 200
    assert client.get(FILES[0], REMOTE_ADDR="10.0.0.5").status_code == 200


def test_a_token_has_its_own_bulk_limit_whatever_its_address(clients, low_bulk_limits):
    token = clients["token"]
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        assert token.get(FILES[0], REMOTE_ADDR=address).status_code == 200
    refused = token.get(FILES[0], REMOTE_ADDR="10.0.0.4")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    # The token's count is not the address's: an anonymous caller there still downloads.
    assert Client().get(FILES[0], REMOTE_ADDR="10.0.0.4").status_code == 200


def test_a_signed_in_user_counts_as_its_account(clients, low_bulk_limits):
    office = clients["district"]
    for address in ("10.0.1.1", "10.0.1.2", "10.0.1.3"):
        assert office.get(FILES[0], REMOTE_ADDR=address).status_code == 200
    assert office.get(FILES[0], REMOTE_ADDR="10.0.1.4").status_code == 429


def test_a_revoked_token_is_a_401_not_an_anonymous_download(client):
    refused = client.get(FILES[0], headers={"Authorization": "Bearer not-a-token"})
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == 'Bearer realm="api"'
    assert "Mã truy cập không hợp lệ" in refused.content.decode()


def test_the_default_limits_come_from_the_settings(settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert rates["bulk_address"] == "20/hour"
    assert rates["bulk_token"] == "60/hour"

"""Rate-limit headers and counting, and bearer-token authentication."""

from __future__ import annotations

import email.utils
import time

import gocardless_pro
import pytest
import requests
from freezegun import freeze_time
from gocardless_pro import errors

from gocardless_emulator import Emulator


@pytest.fixture
def gcemu_limited():
    emu = Emulator(rate_limit=5).start()
    yield emu
    emu.stop()


def test_rate_limit_counts_and_answers_429(gcemu_limited):
    client = gocardless_pro.Client(gcemu_limited.access_token, base_url=gcemu_limited.base_url)
    remaining = []
    for _ in range(5):
        client.customers.list()
        remaining.append(client.rate_limit["ratelimit-remaining"])
    assert remaining == [4, 3, 2, 1, 0]
    assert client.rate_limit["ratelimit-limit"] == 5
    with pytest.raises(errors.RateLimitError) as caught:
        client.customers.list()
    assert caught.value.code == 429
    assert caught.value.errors[0]["reason"] == "rate_limit_exceeded"
    response = requests.get(
        gcemu_limited.base_url + "/customers",
        headers={"Authorization": f"Bearer {gcemu_limited.access_token}"},
    )
    assert response.status_code == 429
    assert response.headers["ratelimit-remaining"] == "0"

    gcemu_limited.reset()  # a reset starts a new window
    client.customers.list()
    assert client.rate_limit["ratelimit-remaining"] == 4


def test_ratelimit_reset_is_the_end_of_the_current_minute(gcemu, gcemu_client):
    gcemu_client.customers.list()
    reset = gcemu_client.rate_limit["ratelimit-reset"]
    assert reset.endswith(" GMT")
    moment = email.utils.parsedate_to_datetime(reset).timestamp()
    assert moment % 60 == 0
    assert 0 < moment - time.time() <= 61
    assert gcemu_client.rate_limit["ratelimit-limit"] == 1000
    assert gcemu_client.rate_limit["ratelimit-remaining"] == 999


def test_every_response_carries_the_headers(gcemu):
    headers = {"Authorization": f"Bearer {gcemu.access_token}"}
    for path in ("/customers", "/customers/CU404", "/nowhere"):
        response = requests.get(gcemu.base_url + path, headers=headers)
        assert {"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"} <= set(
            response.headers
        )
    response = requests.get(gcemu.base_url + "/customers", headers={"Authorization": "Bearer x"})
    assert response.status_code == 401
    assert response.headers["ratelimit-remaining"] == "996"


def test_rate_limit_none_disables_counting():
    emu = Emulator(rate_limit=None).start()
    try:
        client = gocardless_pro.Client(emu.access_token, base_url=emu.base_url)
        # one frozen minute: the 1,010 requests all fall in the same window
        with freeze_time("2026-01-01 12:00:30"):
            for _ in range(1010):
                client.customers.list(params={"limit": 1})
        # never refused, but the headers are still there for clients that read them
        assert client.rate_limit["ratelimit-limit"] == 1000
        assert client.rate_limit["ratelimit-remaining"] == 0
        assert client.rate_limit["ratelimit-reset"]
    finally:
        emu.stop()


def test_wrong_or_missing_token_is_rejected(gcemu, gcemu_client):
    intruder = gocardless_pro.Client("not-the-token", base_url=gcemu.base_url)
    with pytest.raises(errors.AuthenticationError) as caught:
        intruder.customers.list()
    assert caught.value.code == 401
    assert caught.value.errors[0]["reason"] == "unauthorized"
    response = requests.get(gcemu.base_url + "/customers")
    assert response.status_code == 401

    gcemu.access_token = "rotated-token"
    with pytest.raises(errors.AuthenticationError):
        gcemu_client.customers.list()
    rotated = gocardless_pro.Client("rotated-token", base_url=gcemu.base_url)
    assert rotated.customers.list().records == []
    gcemu.reset()
    assert gcemu.access_token == "rotated-token"  # reset keeps the token

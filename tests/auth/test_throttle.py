"""Wrong keys from one address are throttled (429, Retry-After, logged once per window) on
the API and the sign-in page; valid keys from the same address go through as before."""

from __future__ import annotations

import logging
import re

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.auth.throttle import FailedKeyThrottle
from app.config import get_settings
from app.kit.errors import TooManyRequests
from tests.factories import make_key

URL = "/api/v1/countries"
WRONG = {"Authorization": "Bearer hw_not-a-real-key"}


class Timer:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def small_throttle(client: TestClient, timer: Timer) -> FailedKeyThrottle:
    throttle = FailedKeyThrottle(limit=3, window_seconds=60, timer=timer)
    client.app.state.key_throttle = throttle  # type: ignore[attr-defined]
    return throttle


def test_thirty_wrong_keys_in_a_row_are_not_all_401s(client: TestClient) -> None:
    """The review's case, with the default settings."""
    limit = get_settings().auth_failure_limit
    statuses = [client.get(URL, headers=WRONG).status_code for _ in range(30)]
    assert statuses == [401] * limit + [429] * (30 - limit)


def test_past_the_limit_the_api_answers_429_with_retry_after_and_a_json_body(
    client: TestClient, db_session: Session
) -> None:
    timer = Timer()
    small_throttle(client, timer)
    valid = make_key(db_session, "officer")
    db_session.commit()
    assert [client.get(URL, headers=WRONG).status_code for _ in range(3)] == [401] * 3
    timer.now += 20
    limited = client.get(URL, headers=WRONG)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "40"
    body = limited.json()
    assert body["error"] == "rate_limited" and body["retry_after"] == 40
    assert body["detail"] == [{"field": "Authorization", "reason": body["message"]}]
    # A valid key from the same address is not slowed, and does not reset the count.
    assert client.get(URL, headers=valid).status_code == 200
    assert client.get(URL, headers=WRONG).status_code == 429
    # The window ends: wrong keys are plain 401s again.
    timer.now += 41
    assert client.get(URL, headers=WRONG).status_code == 401


def test_a_missing_key_is_not_a_wrong_key(client: TestClient) -> None:
    small_throttle(client, Timer())
    assert [client.get(URL).status_code for _ in range(6)] == [401] * 6


def test_throttling_is_logged_once_per_window(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    timer = Timer()
    small_throttle(client, timer)
    with caplog.at_level(logging.WARNING, logger="homeward.auth"):
        for _ in range(10):
            client.get(URL, headers=WRONG)
        timer.now += 61
        for _ in range(10):
            client.get(URL, headers=WRONG)
    warnings = [r for r in caplog.records if r.name == "homeward.auth"]
    assert len(warnings) == 2
    assert "testclient" in warnings[0].getMessage()


def test_addresses_are_counted_apart() -> None:
    throttle = FailedKeyThrottle(limit=1, window_seconds=60, timer=Timer())
    throttle.record_failure("10.0.0.1", field="key")
    throttle.record_failure("10.0.0.2", field="key")
    with pytest.raises(TooManyRequests) as raised:
        throttle.record_failure("10.0.0.1", field="key")
    assert raised.value.retry_after == 60 and raised.value.field == "key"


def _sign_in(client: TestClient, key: str) -> httpx.Response:
    page = client.get("/signin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    return client.post(
        "/signin",
        data={"csrf_token": token.group(1), "key": key, "next": ""},
        follow_redirects=False,
    )


def test_the_signin_page_throttles_wrong_keys_with_a_plain_message(
    client: TestClient, db_session: Session
) -> None:
    small_throttle(client, Timer())
    valid = make_key(db_session, "officer")["Authorization"].removeprefix("Bearer ")
    db_session.commit()
    assert [_sign_in(client, "hw_wrong").status_code for _ in range(3)] == [401] * 3
    limited = _sign_in(client, "hw_wrong")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "60"
    assert "Too many wrong keys were tried from your network. Wait 1 minute," in limited.text
    # The right key from the same address still signs in at once.
    signed_in = _sign_in(client, valid)
    assert signed_in.status_code == 303

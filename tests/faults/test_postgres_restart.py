"""A PostgreSQL restart under load: the app (uvicorn, one worker) serves 8 clients — nine
searches to one write — while its own cluster is stopped and started again. Every answer is
a complete HTTP response with a JSON body: 200 (409 for two writes to one office at once), or
503 with Retry-After while the database is away; none is dropped; and once it is back every
request succeeds, without restarting the app."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

import httpx

from tests.faults.live import Seeded, is_complete_json, live_app, seed
from tests.faults.pg_cluster import own_cluster

CLIENTS = 8


def _client_loop(
    base: str,
    seeded: Seeded,
    stop: threading.Event,
    answers: list[tuple[float, str, int]],
    errors: list[str],
) -> None:
    rng = random.Random()
    with httpx.Client(base_url=base, timeout=20, headers=seeded.headers) as client:
        while not stop.is_set():
            try:
                write = rng.random() < 0.1
                if write:
                    response = client.post(
                        f"/api/v1/contacts/{seeded.office_id}/verifications",
                        json={"method": "phone_call"},
                    )
                else:
                    response = client.get("/api/v1/contacts", params={"country": "NG"})
                is_complete_json(response)
                answers.append((time.monotonic(), response.request.method, response.status_code))
            except Exception as exc:  # a dropped connection, a truncated or non-JSON body
                errors.append(f"{type(exc).__name__}: {exc}")


def test_a_postgres_restart_under_load_answers_503_then_recovers_without_a_restart() -> None:
    with own_cluster() as cluster:
        url = cluster.create_database("homeward")
        seeded = seed(url)
        with live_app(url) as base:
            stop = threading.Event()
            answers: list[tuple[float, str, int]] = []
            errors: list[str] = []
            threads = [
                threading.Thread(target=_client_loop, args=(base, seeded, stop, answers, errors))
                for _ in range(CLIENTS)
            ]
            for thread in threads:
                thread.start()
            try:
                time.sleep(1.5)
                cluster.stop("fast")  # disconnects every session, as a restart does
                time.sleep(2.0)
                cluster.start()
                back_at = time.monotonic()
                time.sleep(2.0)
            finally:
                stop.set()
                for thread in threads:
                    thread.join(timeout=30)

            assert not errors, errors[:5]
            reads = Counter(status for _, method, status in answers if method == "GET")
            writes = Counter(status for _, method, status in answers if method == "POST")
            assert set(reads) <= {200, 503}, reads
            # 409: two clients verified the same office at the same moment (a concurrent edit).
            assert set(writes) <= {200, 409, 503}, writes
            assert reads[503] > 0 and reads[200] > 0, reads
            # Back: the same app answers every request, with no restart.
            with httpx.Client(base_url=base, timeout=20, headers=seeded.headers) as client:
                for _ in range(20):
                    assert (
                        client.get("/api/v1/contacts", params={"country": "NG"}).status_code == 200
                    )
                written = client.post(
                    f"/api/v1/contacts/{seeded.office_id}/verifications",
                    json={"method": "phone_call"},
                )
                assert written.status_code == 200, written.text
            late = Counter(status for at, _, status in answers if at > back_at + 1.0)
            assert late[200] > 0 and set(late) <= {200, 409}, late

"""The service as production runs it: gunicorn with gunicorn.conf.py, two workers, multiprocess metrics.

One gunicorn serves the whole module, on a free loopback port, against a SQLite file migrated with
``flask db upgrade`` as the container does.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from customer_api.config import PROJECT_ROOT

BIN = Path(sys.executable).parent
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
HEALTH = {"method": "GET", "endpoint": "health.live", "http_status": "200"}


@dataclass
class Gunicorn:
    process: subprocess.Popen[bytes]
    url: str
    metrics_dir: Path
    log: Path

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        # Our own server, on loopback, over http.
        request = urllib.request.Request(self.url + path, headers=headers or {})  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status), response.read()

    def scrape(self, name: str, labels: dict[str, str]) -> list[float]:
        """Every sample of ``name`` with these labels in one scrape of /metrics."""
        _, body = self.get("/metrics")
        return [
            sample.value
            for family in text_string_to_metric_families(body.decode())
            for sample in family.samples
            if sample.name == name and labels.items() <= sample.labels.items()
        ]

    def health_counts_by_worker(self) -> dict[int, float]:
        """What each worker's own metric file says it served of GET /health."""
        counts = {}
        for path in self.metrics_dir.glob("counter_*.db"):
            pid = int(path.stem.removeprefix("counter_"))
            counts[pid] = sum(
                sample.value
                for family in MultiProcessCollector.merge([str(path)], accumulate=True)
                for sample in family.samples
                if sample.name == "request_count_total" and HEALTH.items() <= sample.labels.items()
            )
        return counts

    def log_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gunicorn]:
    workdir = tmp_path_factory.mktemp("gunicorn")
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DB_", "REDIS_", "APP_ENV", "SENTRY"))},
        "DATABASE_URL": f"sqlite:///{workdir / 'service.db'}",
        "CACHE_PROVIDER": "memory",
        "EVENT_RELAY": "off",
        "JWT_SECRET_KEY": "a-secret-for-this-gunicorn-run-only-32b",
        "GUNICORN_WORKERS": "2",
        "PORT": str(port),
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"),
        "LOG_FORMAT": "json",
    }
    subprocess.run(  # noqa: S603 - our own executables, our own arguments
        [BIN / "flask", "--app", "customer_api", "db", "upgrade"], env=env, check=True, capture_output=True
    )
    log = workdir / "gunicorn.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(  # noqa: S603
            [BIN / "gunicorn", "-c", PROJECT_ROOT / "gunicorn.conf.py", "customer_api:create_app()"],
            env=env,
            cwd=workdir,
            stdout=stderr,
            stderr=stderr,
        )
    server = Gunicorn(process, f"http://127.0.0.1:{port}", workdir / "metrics", log)
    wait_until(lambda: answers(server), what="gunicorn to answer")
    yield server
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=40) == 0, log.read_text()[-2000:]


def answers(server: Gunicorn) -> bool:
    try:
        return server.get("/health")[0] == 200
    except OSError:
        return False


def wait_until(condition: Any, *, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_one_scrape_sums_the_requests_of_both_workers(gunicorn: Gunicorn) -> None:
    before = sum(gunicorn.scrape("request_count_total", HEALTH))
    sent = 0
    with ThreadPoolExecutor(8) as pool:
        # Bursts of concurrent requests until each worker has served some (bounded, to fail not hang).
        while sent < 40 or (sent < 1000 and 0 in gunicorn.health_counts_by_worker().values()):
            statuses = list(pool.map(lambda _: gunicorn.get("/health")[0], range(20)))
            assert statuses == [200] * 20
            sent += 20

    by_worker = gunicorn.health_counts_by_worker()
    assert len([count for count in by_worker.values() if count > 0]) == 2, by_worker
    assert sum(gunicorn.scrape("request_count_total", HEALTH)) == before + sent
    assert gunicorn.scrape("request_latency_seconds_count", {"endpoint": "health.live"}) == [before + sent]


def test_counters_do_not_go_backwards_when_a_worker_is_replaced(gunicorn: Gunicorn) -> None:
    for _ in range(10):
        gunicorn.get("/health")
    before = sum(gunicorn.scrape("request_count_total", HEALTH))
    workers = set(gunicorn.health_counts_by_worker())
    victim = max(workers)

    os.kill(victim, signal.SIGTERM)  # gunicorn's master starts another in its place
    wait_until(lambda: len(set(gunicorn.health_counts_by_worker()) - workers) == 1, what="a new worker")

    after = sum(gunicorn.scrape("request_count_total", HEALTH))
    assert after == before  # the scrape itself is counted under its own endpoint
    gunicorn.get("/health")
    assert sum(gunicorn.scrape("request_count_total", HEALTH)) == before + 1


def test_the_outbox_gauges_appear_once_in_a_scrape_of_many_workers(gunicorn: Gunicorn) -> None:
    assert gunicorn.scrape("events_pending", {}) == [0]
    assert len(gunicorn.scrape("events_oldest_pending_age_seconds", {})) == 1
    for name in ("cache_hits_total", "cache_misses_total", "events_published_total"):
        assert len(gunicorn.scrape(name, {})) == 1, name


def test_every_line_is_json_and_the_access_line_carries_the_client_request_id(gunicorn: Gunicorn) -> None:
    gunicorn.get("/health/ready", headers={"X-Request-ID": "gunicorn-probe-1", "traceparent": TRACEPARENT})

    def access_line() -> list[dict[str, Any]]:
        return [line for line in gunicorn.log_lines() if line["request_id"] == "gunicorn-probe-1"]

    wait_until(lambda: access_line(), what="the access line")
    [line] = access_line()
    assert line["logger"] == "customer_api.access"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/health/ready", 200)
    assert line["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert line["service"] == "customer-api"
    # gunicorn's own lines are JSON too, and its access log is off (no second line per request).
    lines = gunicorn.log_lines()
    assert any(line["logger"] == "gunicorn.error" and "Booting worker" in line["message"] for line in lines)
    assert not any(line["logger"] == "gunicorn.access" for line in lines)

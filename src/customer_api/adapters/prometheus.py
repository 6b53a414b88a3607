"""Prometheus metrics of the service, in a registry of the app's own (so that several apps, as in the
tests, never clash over prometheus_client's global one).

Under gunicorn, each worker counts in files of prometheus_client's multiprocess mode
(``PROMETHEUS_MULTIPROC_DIR``), and a scrape sums every worker's, living or dead, so counters never go
backwards when a worker is replaced. Gauges read at scrape time (the outbox) are added once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from customer_api.shared.errors import Unavailable
from customer_api.shared.relay import BatchResult, Outbox


class Metrics:
    def __init__(self, outbox: Outbox, multiprocess_dir: str | None = None) -> None:
        if multiprocess_dir:
            # prometheus_client writes there from the first metric on, and fails if it is missing.
            Path(multiprocess_dir).mkdir(parents=True, exist_ok=True)
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "request_count",
            "HTTP requests answered",
            ["method", "endpoint", "http_status"],
            registry=self.registry,
        )
        self.request_latency = Histogram(
            "request_latency_seconds",
            "Time to answer an HTTP request",
            ["method", "endpoint"],
            registry=self.registry,
        )
        self.events_published = Counter(
            "events_published", "Events the relay put in the event store", registry=self.registry
        )
        self.events_publish_failures = Counter(
            "events_publish_failures", "Failed attempts to publish an event", registry=self.registry
        )
        self.cache_hits = Counter("cache_hits", "Cache lookups that found an entry", registry=self.registry)
        self.cache_misses = Counter(
            "cache_misses", "Cache lookups that found nothing", registry=self.registry
        )
        self.cache_errors = Counter("cache_errors", "Cache calls that failed", registry=self.registry)
        self.rate_limit_rejections = Counter(
            "rate_limit_rejections", "Requests refused with 429", ["scope"], registry=self.registry
        )
        self.registry.register(_OutboxCollector(outbox))
        self._scraped = self.registry
        if multiprocess_dir:
            self._scraped = CollectorRegistry()
            MultiProcessCollector(self._scraped, path=multiprocess_dir)  # type: ignore[no-untyped-call]
            self._scraped.register(_OutboxCollector(outbox))

    def exposition(self) -> bytes:
        """The text a scrape of ``/metrics`` answers."""
        return generate_latest(self._scraped)

    def record_request(self, method: str, endpoint: str, status: int, seconds: float) -> None:
        self.requests.labels(method, endpoint, str(status)).inc()
        self.request_latency.labels(method, endpoint).observe(seconds)

    def record_rate_limited(self, scope: str) -> None:
        self.rate_limit_rejections.labels(scope).inc()

    def record_lookup(self, hits: int, misses: int) -> None:
        self.cache_hits.inc(hits)
        self.cache_misses.inc(misses)

    def record_batch(self, result: BatchResult) -> None:
        self.events_published.inc(result.published)
        self.events_publish_failures.inc(result.failed)


class _OutboxCollector(Collector):
    """Pending events and the age of the oldest, read from the outbox at scrape time, so that every
    process reports the same truth."""

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    def collect(self) -> Iterator[Metric]:
        try:
            stats = self._outbox.stats()
        except Unavailable:
            return
        yield GaugeMetricFamily(
            "events_pending", "Events committed but not yet published", value=stats.pending
        )
        yield GaugeMetricFamily(
            "events_oldest_pending_age_seconds",
            "Age of the oldest unpublished event",
            value=stats.oldest_pending_seconds,
        )

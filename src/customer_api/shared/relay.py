"""The outbox relay: publishes committed events, in order per aggregate, retrying with backoff.

An event is never dropped: a failure only postpones it (``attempts``, ``last_error`` and
``next_attempt_at`` on its row). Several relays may run at once on MySQL (rows are claimed with
``SELECT … FOR UPDATE SKIP LOCKED``); on SQLite run one.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from customer_api.shared.errors import Unavailable
from customer_api.shared.outbox import Envelope, EventPublisher, object_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    """Exponential, capped, with jitter so that relays recovering together do not retry in step."""

    base_seconds: float = 1.0
    cap_seconds: float = 300.0

    def delay(self, attempts: int) -> float:
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** max(attempts - 1, 0))
        return float(ceiling / 2 + random.uniform(0, ceiling / 2))  # noqa: S311 - jitter, not secrets


@dataclass
class BatchResult:
    published: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OutboxStats:
    pending: int
    oldest_pending_seconds: float
    last_errors: list[dict[str, object]]


class Outbox(Protocol):
    def relay_batch(
        self,
        limit: int,
        publish: Callable[[Envelope], None],
        retry_delay: Callable[[int], float],
    ) -> BatchResult:
        """Claim up to ``limit`` due events, oldest first and at most the earliest pending one of each
        aggregate, hand each to ``publish`` and record the outcome, all in one transaction."""

    def stats(self) -> OutboxStats: ...


class OutboxRelay:
    def __init__(
        self,
        outbox: Outbox,
        publisher: EventPublisher,
        *,
        prefix: str,
        batch_size: int = 100,
        idle_seconds: float = 1.0,
        backoff: Backoff | None = None,
        on_result: Callable[[BatchResult], None] | None = None,
    ) -> None:
        self.outbox = outbox
        self.publisher = publisher
        self.prefix = prefix
        self.batch_size = batch_size
        self.idle_seconds = idle_seconds
        self.backoff = backoff or Backoff()
        self._on_result = on_result
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()
        self._stop = threading.Event()

    def run_once(self) -> BatchResult:
        result = self.outbox.relay_batch(self.batch_size, self._publish, self.backoff.delay)
        if self._on_result:
            self._on_result(result)
        return result

    def drain(self) -> BatchResult:
        """Publish until nothing due is left (events still backing off stay pending)."""
        total = BatchResult()
        while True:
            result = self.run_once()
            total.published += result.published
            total.failed += result.failed
            total.errors += result.errors
            if result.published == 0:
                return total

    def run(self, stop: threading.Event) -> None:
        log.info("event relay started (batch %d, idle %.1fs)", self.batch_size, self.idle_seconds)
        while not stop.is_set():
            try:
                busy = self.run_once().published > 0
            except Unavailable:
                busy = False  # the database said so already, in detail; try again shortly
            except Exception:
                log.exception("event relay iteration failed; retrying")
                busy = False
            if not busy:
                stop.wait(self.idle_seconds)
        log.info("event relay stopped")

    def start(self) -> None:
        """Run in a daemon thread of this process; calling it again does nothing."""
        with self._starting:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self.run, args=(self._stop,), name="event-relay", daemon=True
                )
                self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _publish(self, envelope: Envelope) -> None:
        self.publisher.publish(object_key(self.prefix, envelope), envelope)

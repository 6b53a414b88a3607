import json
from pathlib import Path

import pytest

from customer_api.adapters.local import FileEventPublisher
from customer_api.config import ConfigurationError, Settings
from customer_api.shared.outbox import object_key
from customer_api.shared.relay import Backoff

ENVELOPE = {
    "event_id": "0b7e3c1a-5d2f-4c1e-9a8b-123456789abc",
    "aggregate_type": "customer",
    "sequence": 42,
    "occurred_at": "2026-01-05T23:59:59.999999Z",
}


def test_the_object_key_is_prefix_type_date_sequence_and_event_id() -> None:
    assert object_key("events", ENVELOPE) == (
        "events/customer/2026/01/05/000000000042-0b7e3c1a-5d2f-4c1e-9a8b-123456789abc.json"
    )


def test_backoff_grows_exponentially_with_jitter_up_to_its_cap() -> None:
    backoff = Backoff(base_seconds=1, cap_seconds=300)
    for attempts, ceiling in [(1, 1), (2, 2), (5, 16), (9, 256), (10, 300), (50, 300)]:
        delays = [backoff.delay(attempts) for _ in range(200)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(set(delays)) > 1, "jitter"


def test_the_file_publisher_writes_the_envelope_at_the_key_and_a_retry_overwrites_it(tmp_path: Path) -> None:
    publisher = FileEventPublisher(tmp_path)
    key = object_key("events", ENVELOPE)
    publisher.publish(key, ENVELOPE)
    publisher.publish(key, ENVELOPE)
    [written] = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert written == tmp_path / key
    assert json.loads(written.read_text()) == ENVELOPE
    publisher.check()


def test_events_go_to_files_unless_a_bucket_is_named() -> None:
    assert Settings.from_env({}).event_publisher == "file"
    settings = Settings.from_env(
        {"EVENT_BUCKET_NAME": "b", "LOCALSTACK_URL": "http://127.0.0.1:4566", "EVENT_PREFIX": "/ev/"}
    )
    assert (settings.event_publisher, settings.event_bucket_name) == ("s3", "b")
    assert (settings.localstack_url, settings.event_prefix) == ("http://127.0.0.1:4566", "ev")


@pytest.mark.parametrize(
    "env",
    [{"EVENT_PUBLISHER": "s3"}, {"EVENT_PUBLISHER": "kafka"}, {"EVENT_RELAY": "sometimes"}],
)
def test_an_event_setup_that_cannot_work_refuses_to_start(env: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError):
        Settings.from_env(env)

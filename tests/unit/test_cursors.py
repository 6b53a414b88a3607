import pytest

from customer_api.http.cursors import CursorCodec, InvalidCursor


def test_a_cursor_round_trips_its_position_within_its_scope() -> None:
    codec = CursorCodec("secret")
    cursor = codec.encode(("2026-11-22T20:00:00.000000Z", "c-1"), "customers:name")
    assert cursor is not None
    assert codec.decode(cursor, "customers:name") == ("2026-11-22T20:00:00.000000Z", "c-1")


def test_no_position_means_no_cursor_and_no_cursor_means_the_first_page() -> None:
    codec = CursorCodec("secret")
    assert codec.encode(None, "s") is None
    assert codec.decode(None, "s") is None


@pytest.mark.parametrize("forged", ["", "abc", "!!!!", "eyJhIjoxfQ"])
def test_a_malformed_cursor_is_refused(forged: str) -> None:
    with pytest.raises(InvalidCursor):
        CursorCodec("secret").decode(forged, "s")


def test_a_cursor_signed_with_another_secret_or_altered_is_refused() -> None:
    cursor = CursorCodec("secret").encode((1,), "s")
    assert cursor is not None
    with pytest.raises(InvalidCursor):
        CursorCodec("other secret").decode(cursor, "s")
    tampered = cursor[:-2] + ("A" if cursor[-2] != "A" else "B") + cursor[-1]
    with pytest.raises(InvalidCursor):
        CursorCodec("secret").decode(tampered, "s")


def test_a_cursor_from_another_scope_is_refused() -> None:
    codec = CursorCodec("secret")
    cursor = codec.encode((1,), "customers:name")
    with pytest.raises(InvalidCursor):
        codec.decode(cursor, "customers:-name")

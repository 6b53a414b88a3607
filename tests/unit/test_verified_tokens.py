"""The per-process memory of verified access tokens (http/guards.py): expiry and size."""

from __future__ import annotations

from customer_api.http.guards import VerifiedTokens


class Clock:
    now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_a_token_is_known_until_it_expires() -> None:
    clock = Clock()
    tokens = VerifiedTokens(clock=clock)
    tokens.add("Bearer a", {"sub": "u-1", "exp": 1_060})
    assert tokens.get("Bearer a") == {"sub": "u-1", "exp": 1_060}
    assert tokens.get("Bearer b") is None
    clock.now = 1_060  # expired at exp, as PyJWT has it: verified again, and refused there
    assert tokens.get("Bearer a") is None


def test_it_holds_at_most_its_size_forgetting_the_oldest() -> None:
    tokens = VerifiedTokens(size=2, clock=Clock())
    for name in ("a", "b", "c"):
        tokens.add(f"Bearer {name}", {"exp": 2_000})
    assert [tokens.get(f"Bearer {name}") is not None for name in ("a", "b", "c")] == [False, True, True]

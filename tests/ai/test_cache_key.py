"""The response cache key and the cacheability rule."""

from __future__ import annotations

import pytest

from ai.cache_key import cache_key, cacheable

MESSAGES = [{"role": "user", "content": "hi"}]


def key(**params: object) -> str:
    return cache_key("chat", "gpt-4o-mini", MESSAGES, dict(params))


def test_key_is_hex_sha256_and_stable() -> None:
    value = key(temperature=0)
    assert len(value) == 64 and int(value, 16) >= 0 and value == key(temperature=0)


def test_delivery_params_do_not_change_the_key() -> None:
    assert key(temperature=0) == key(
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
        user="u1",
        cache=True,
        fake_latency_ms=50,
        fake_stream_interval_ms=5,
    )


@pytest.mark.parametrize(
    "params", [{"temperature": 0.5}, {"fake_fail": "auth"}, {"fake_output": "x"}, {"seed": 1}]
)
def test_answer_params_change_the_key(params: dict[str, object]) -> None:
    assert cache_key("chat", "m", MESSAGES, params) != cache_key("chat", "m", MESSAGES, {})


def test_route_model_and_messages_change_the_key_but_dict_order_does_not() -> None:
    assert cache_key("a", "m", MESSAGES, {}) != cache_key("b", "m", MESSAGES, {})
    assert cache_key("a", "m", MESSAGES, {}) != cache_key("a", "n", MESSAGES, {})
    assert cache_key("a", "m", MESSAGES, {}) != cache_key("a", "m", [{"role": "user"}], {})
    assert key(top_p=1, seed=2, response_format={"a": 1, "b": 2}) == key(
        response_format={"b": 2, "a": 1}, seed=2, top_p=1
    )
    two = [{"content": "hi", "role": "user"}]
    assert cache_key("a", "m", two, {}) == cache_key("a", "m", MESSAGES, {})


def test_unserializable_params_are_refused() -> None:
    with pytest.raises(ValueError, match="not cacheable"):
        key(temperature=float("nan"))


@pytest.mark.parametrize(
    ("params", "force", "expected"),
    [
        ({}, False, False),  # absent = the upstream default 1.0
        ({"temperature": 0}, False, True),
        ({"temperature": 0.0}, False, True),
        ({"temperature": 0.7}, False, False),
        ({"temperature": "0"}, False, False),
        ({"temperature": True}, False, False),
        ({"temperature": 0.7}, True, True),
    ],
)
def test_cacheable(params: dict[str, object], force: bool, expected: bool) -> None:
    assert cacheable(params, force) is expected

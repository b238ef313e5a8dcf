"""The pure parts of realtime: frames, the hub's fan-out and backpressure, the options."""

from __future__ import annotations

import asyncio
import json

import pytest

from gateway.config import ConfigError, load
from gateway.realtime import sse
from gateway.realtime.hub import Hub, Subscriber
from gateway.tx import Context

CTX = Context("authenticated", "{}", "GET", "/realtime", "{}", "{}", True, True)


def test_frames() -> None:
    assert sse.frame("a.b", '{"x":1}', 7) == b'id: 7\nevent: a.b\ndata: {"x":1}\n\n'
    assert sse.frame("a.delta", "{}") == b"event: a.delta\ndata: {}\n\n"
    assert sse.frame("e", "one\r\ntwo\nthree") == b"event: e\ndata: one\ndata: two\ndata: three\n\n"
    final = sse.closed("slow_consumer", "reconnect", last_event_id=3)
    name, data = final.decode().splitlines()[:2]
    assert name == "event: realtime.closed"
    assert json.loads(data.removeprefix("data: ")) == {
        "reason": "slow_consumer",
        "action": "reconnect",
        "last_event_id": 3,
    }


def test_fan_out_by_channel_and_skip_through() -> None:
    hub = Hub()
    a = Subscriber(["workspace:1"], ["workspace:1"], CTX, "sub:a", 10)
    b = Subscriber(["request:9"], ["request:9", "workspace:2"], CTX, "sub:b", 10)
    hub.add(a)
    hub.add(b)
    hub.deliver(1, ["workspace:1", "request:9"], b"one")
    hub.deliver(2, ["workspace:3"], b"nobody")
    b.skip_through = 5
    hub.deliver(4, ["request:9"], b"replayed already")
    assert a.take() == b"one" and b.take() == b"one"
    assert a.last_id == 1
    hub.remove(b)
    assert "request:9" not in hub.by_channel and hub.streams_of("sub:b") == 0


def test_a_slow_subscriber_is_closed_with_its_resume_point() -> None:
    hub = Hub()
    sub = Subscriber(["workspace:1"], ["workspace:1"], CTX, "sub:a", 2)
    hub.add(sub)
    for i in range(1, 5):
        hub.deliver(i, ["workspace:1"], f"e{i}".encode())
    assert sub.closed
    assert sub.take() == b"e1e2"
    assert sub.final is not None and b'"last_event_id":2' in sub.final
    hub.heartbeat()
    assert sub.take() == b""


def test_wait_wakes_on_push() -> None:
    async def scenario() -> bytes:
        sub = Subscriber([], ["c"], CTX, "u", 5)
        waiter = asyncio.ensure_future(sub.wait())
        await asyncio.sleep(0)
        sub.push(b"x")
        await asyncio.wait_for(waiter, 1)
        return sub.take()

    assert asyncio.run(scenario()) == b"x"


def test_options() -> None:
    assert load({}).realtime is None
    env = {
        "PGRST_REALTIME_ENABLED": "true",
        "PGRST_REALTIME_AUTHORIZE": "app.realtime_channels",
        "PGRST_REALTIME_FEED": "app.realtime_feed",
        "PGRST_SERVER_ROOT_PATH": "/api",
    }
    rt = load(env).realtime
    assert rt is not None
    assert rt.path == "/api/realtime"
    assert rt.feed == ("app", "realtime_feed") and rt.channel == "taproot_events"
    assert rt.delta_channel == "taproot_deltas" and rt.heartbeat_seconds == 15
    with pytest.raises(ConfigError, match="PGRST_REALTIME_FEED"):
        load({**env, "PGRST_REALTIME_FEED": ""})
    with pytest.raises(ConfigError, match="PGRST_REALTIME_QUEUE_SIZE"):
        load({**env, "PGRST_REALTIME_QUEUE_SIZE": "0"})

"""Server-sent events at <root>/realtime: the outbox fanned out by topic (docs/realtime.md).

hub (subscribers, fan-out), feed (the LISTEN connection and its catch-up), sse (frames)
and stream (the endpoint: auth, topic authorization, resume, the response).
"""

from gateway.realtime.stream import Realtime

__all__ = ["Realtime"]

"""Stage 6: the transaction's result → status, headers and body bytes.

Content-Range and 200/206/416 as PostgREST's RangeQuery; Preference-Applied;
Content-Profile when several schemas are exposed; response.headers and
response.status GUCs set by SQL override what the gateway would answer.
The body is the bytes PostgreSQL built, untouched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import quote

from gateway import errors
from gateway.errors import ApiError
from gateway.plan import CONTENT_TYPES, ActionPlan
from gateway.request import ApiRequest
from gateway.tx import Result

Headers = list[tuple[bytes, bytes]]


@dataclass(slots=True)
class Response:
    status: int
    headers: Headers = field(default_factory=list)
    body: bytes = b""


def content_type(plan: ActionPlan) -> bytes:
    """The negotiated media type (a custom handler's domain name, as PostgREST's toMime)."""
    if plan.media == "custom" and plan.handler is not None:
        return plan.handler.content_type
    media = f"{plan.media}-stripped" if plan.nulls_stripped else plan.media
    return CONTENT_TYPES.get(media, CONTENT_TYPES[plan.media])


def error_response(err: ApiError) -> Response:
    body = err.body()
    headers: Headers = [
        (b"content-type", errors.JSON_CT),
        (b"proxy-status", b"PostgREST; error=" + err.code.encode()),
    ]
    headers.extend(err.headers)
    return Response(err.status, headers, body)


def content_range(lower: int, upper: int, total: int | None) -> bytes:
    total_s = "*" if total is None else str(total)
    if total != 0 and lower <= upper:
        return f"{lower}-{upper}/{total_s}".encode()
    return f"*/{total_s}".encode()


def range_status(lower: int, page_total: int, total: int | None) -> tuple[int, bytes]:
    upper = lower + page_total - 1
    header = content_range(lower, upper, total)
    if total is None:
        return 200, header
    if lower > total:
        return 416, header
    if (1 + upper - lower) < total:
        return 206, header
    return 200, header


def _profile(req: ApiRequest) -> Headers:
    return [(b"content-profile", req.schema.encode())] if req.negotiated_by_profile else []


def _preference_applied(req: ApiRequest, tx_applied: bool, call: bool = False) -> Headers:
    prefs = req.prefer
    tokens = []
    if prefs.count is not None:
        tokens.append("count=" + prefs.count)
    if tx_applied and prefs.tx is not None:
        tokens.append("tx=" + prefs.tx)
    if prefs.handling is not None:
        tokens.append("handling=" + prefs.handling)
    if prefs.timezone is not None:
        tokens.append("timezone=" + prefs.timezone)
    if call and prefs.max_affected is not None and prefs.handling == "strict":
        tokens.append(f"max-affected={prefs.max_affected}")
    return [(b"preference-applied", ", ".join(tokens).encode())] if tokens else []


def _override(status: int, headers: Headers, result: Result) -> tuple[int, Headers]:
    if result.guc_status is not None:
        text = result.guc_status.strip()
        if not text.isdigit() or not 100 <= int(text) <= 999:
            raise errors.guc_status()
        status = int(text)
    if result.guc_headers is not None:
        try:
            items = json.loads(result.guc_headers)
            if not isinstance(items, list):
                raise ValueError
            extra: Headers = []
            for item in items:
                if not isinstance(item, dict) or len(item) != 1:
                    raise ValueError
                ((k, v),) = item.items()
                if not isinstance(v, str):
                    raise ValueError
                extra.append((k.lower().encode(), v.encode()))
        except ValueError:
            raise errors.guc_headers() from None
        names = {k for k, _ in extra}
        headers = [h for h in headers if h[0] not in names] + extra
    return status, headers


def read_response(
    req: ApiRequest, plan: ActionPlan, result: Result, tx_applied: bool = False
) -> Response:
    lower = plan.read.range.offset if plan.read is not None else 0
    status, crange = range_status(lower, result.page_total, result.total)
    headers: Headers = [(b"content-range", crange)]
    if plan.kind == "read":
        canonical = req.canonical_query()
        location = f"/{req.name}?{canonical}" if canonical else f"/{req.name}"
        headers.append((b"content-location", location.encode()))
    headers += _preference_applied(req, tx_applied, call=plan.call is not None)
    is_void = plan.call is not None and plan.call.function.returns_void
    if is_void:
        status = 204
    else:
        headers.append((b"content-type", content_type(plan)))
        headers += _profile(req)
    status, headers = _override(status, headers, result)
    if status == 416 and result.guc_status is None:
        err = errors.invalid_range(
            f"An offset of {lower} was requested, but there are only "
            f"{result.total if result.total is not None else 0} rows."
        )
        body = err.body()
        headers = [(b"content-range", crange), (b"content-type", errors.JSON_CT)]
        return Response(416, headers, b"" if plan.headers_only else body)
    if plan.headers_only or is_void:
        return Response(status, headers, b"")
    return Response(status, headers, result.body or b"")


def mutate_response(  # noqa: PLR0912 - PostgREST's table of statuses, one row per case
    req: ApiRequest, plan: ActionPlan, result: Result, tx_applied: bool = False
) -> Response:
    """Statuses and headers of PostgREST's Response.hs for inserts, updates, deletes, PUT."""
    m = plan.mutate
    assert m is not None
    prefs = req.prefer
    total = result.page_total if prefs.count is not None else None
    if m.kind == "update":
        crange = content_range(0, result.page_total - 1, total)
    else:
        crange = content_range(1, 0, total)
    headers: Headers = []
    if m.kind == "insert" and m.representation == "headers-only" and result.body:
        keys = json.loads(result.body)
        if isinstance(keys, dict):
            query = "&".join(
                f"{quote(str(k))}={'is.null' if v is None else quote('eq.' + _text(v))}"
                for k, v in keys.items()
            )
            headers.append((b"location", f"/{req.name}?{query}".encode()))
    if m.kind != "upsert":
        headers.append((b"content-range", crange))
    tokens = []
    if m.resolution is not None and m.kind == "insert":
        tokens.append("resolution=" + m.resolution)
    if m.missing_default:
        tokens.append("missing=default")
    if prefs.representation is not None:
        tokens.append(
            "return=" + ("representation" if prefs.representation == "full" else m.representation)
        )
    if prefs.count is not None and m.kind != "upsert":
        tokens.append("count=" + prefs.count)
    if tx_applied and prefs.tx is not None:
        tokens.append("tx=" + prefs.tx)
    if prefs.handling is not None:
        tokens.append("handling=" + prefs.handling)
    if (
        prefs.max_affected is not None
        and prefs.handling == "strict"
        and m.kind in ("update", "delete")
    ):
        tokens.append(f"max-affected={prefs.max_affected}")
    if tokens:
        headers.append((b"preference-applied", ", ".join(tokens).encode()))
    full = m.representation == "full"
    if m.kind == "insert":
        merged_only = m.resolution == "merge-duplicates" and result.inserted == 0
        status = 200 if merged_only else 201
    elif m.kind == "upsert":
        status = (201 if result.inserted else 200) if full else 204
    else:
        status = 200 if full else 204
    if full:
        headers.append((b"content-type", content_type(plan)))
        headers += _profile(req)
    status, headers = _override(status, headers, result)
    return Response(status, headers, (result.body or b"") if full else b"")


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def info_response(allow: str) -> Response:
    return Response(200, [(b"allow", allow.encode()), (b"access-control-allow-origin", b"*")])


def openapi_response(req: ApiRequest, body: bytes, headers_only: bool) -> Response:
    headers: Headers = [(b"content-type", CONTENT_TYPES["openapi"]), *_profile(req)]
    return Response(200, headers, b"" if headers_only else body)

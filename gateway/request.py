"""Stage 2: an HTTP request (method, path, query string, headers, body) → ApiRequest.

Pure: no database, no schema cache. Everything the later stages need is parsed here,
and everything malformed is rejected here with PostgREST's error (PGRST100 for the
query string, 103 for ranges, 106 for profiles, 122 for strict preferences).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote, unquote_to_bytes

from gateway import errors
from gateway.errors import ApiError
from gateway.syntax import (
    FTS_OPS,
    SIMPLE_OPS,
    Filter,
    GrammarError,
    LogicTree,
    OrderTerm,
    SelectItem,
    parse_columns,
    parse_filter_value,
    parse_logic_key,
    parse_logic_tree,
    parse_order,
    parse_select,
    parse_tree_path,
)

MAX_QUERY_STRING = 16 * 1024
MAX_PARAMS = 512

Path = tuple[str, ...]


@dataclass(slots=True)
class Preferences:
    count: Literal["exact", "planned", "estimated"] | None = None
    representation: Literal["full", "minimal", "headers-only"] | None = None
    resolution: Literal["merge-duplicates", "ignore-duplicates"] | None = None
    missing: Literal["default", "null"] | None = None
    handling: Literal["lenient", "strict"] | None = None
    tx: Literal["commit", "rollback"] | None = None
    timezone: str | None = None
    max_affected: int | None = None
    invalid: list[str] = field(default_factory=list)

    def applied(self) -> list[str]:
        """The Preference-Applied tokens for the preferences that are honoured."""
        out = []
        if self.representation is not None:
            out.append(
                "return="
                + ("representation" if self.representation == "full" else self.representation)
            )
        if self.count is not None:
            out.append("count=" + self.count)
        if self.resolution is not None:
            out.append("resolution=" + self.resolution)
        if self.missing is not None:
            out.append("missing=" + self.missing)
        if self.handling is not None:
            out.append("handling=" + self.handling)
        if self.tx is not None:
            out.append("tx=" + self.tx)
        if self.timezone is not None:
            out.append("timezone=" + self.timezone)
        if self.max_affected is not None:
            out.append(f"max-affected={self.max_affected}")
        return out


@dataclass(frozen=True, slots=True)
class MediaType:
    type: str  # "application/json", "*/*", …
    params: tuple[tuple[str, str], ...] = ()
    q: float = 1.0

    @property
    def nulls_stripped(self) -> bool:
        return ("nulls", "stripped") in self.params

    def __str__(self) -> str:
        return self.type + "".join(f";{k}={v}" for k, v in self.params if k != "q")


@dataclass(frozen=True, slots=True)
class Range:
    offset: int = 0
    end: int | None = None  # inclusive; None = unbounded

    @property
    def limit(self) -> int | None:
        return None if self.end is None else max(self.end - self.offset + 1, 0)

    def intersect(self, other: Range) -> Range:
        ends = [e for e in (self.end, other.end) if e is not None]
        return Range(max(self.offset, other.offset), min(ends) if ends else None)

    def restrict(self, limit: int | None) -> Range:
        if limit is None:
            return self
        return self.intersect(Range(0, self.offset + limit - 1))


ALL = Range()


@dataclass(slots=True)
class ApiRequest:
    method: str
    target: Literal["root", "relation", "rpc"]
    name: str
    schema: str
    negotiated_by_profile: bool
    path: str
    select: tuple[SelectItem, ...]
    filters: list[tuple[Path, Filter]]
    logic: list[tuple[Path, LogicTree]]
    order: dict[Path, tuple[OrderTerm, ...]]
    ranges: dict[Path, Range]
    top_range: Range
    params: list[tuple[str, str]]  # RPC: top-level key=value that are not filters (arguments)
    filter_params: list[tuple[str, str]]  # RPC: the top-level ones that look like filters
    columns: tuple[str, ...] | None
    on_conflict: tuple[str, ...] | None
    prefer: Preferences
    accept: tuple[MediaType, ...]
    content_type: str
    body: bytes
    headers: dict[str, str]
    cookies: dict[str, str]
    has_select: bool = False
    query_string: bytes = b""
    canonical: str | None = None

    def canonical_query(self) -> str:
        """PostgREST's qsCanonical: parameters sorted by name, URL-encoded (memoized)."""
        if self.canonical is None:
            pairs = sorted(split_query(self.query_string), key=lambda kv: kv[0])
            self.canonical = "&".join(
                f"{quote(k, safe='-_.~')}={quote(v or '', safe='-_.~')}" for k, v in pairs
            )
        return self.canonical

    @property
    def read_only(self) -> bool:
        return self.method in ("GET", "HEAD")


# --- query string -------------------------------------------------------------------------

_SEP = re.compile(rb"[&;]")
_INTEGER = re.compile(r"^-?[0-9]+$")


def _decode(raw: bytes) -> str:
    return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8", "replace")


def split_query(qs: bytes) -> list[tuple[str, str | None]]:
    """Split like http-types' parseQueryReplacePlus: '&' or ';', '+' is a space."""
    if len(qs) > MAX_QUERY_STRING:
        raise errors.query_param(
            "Query string too long", f"The query string is limited to {MAX_QUERY_STRING} bytes"
        )
    out: list[tuple[str, str | None]] = []
    for part in _SEP.split(qs):
        if not part:
            continue
        key, eq, value = part.partition(b"=")
        out.append((_decode(key), _decode(value) if eq else None))
    if len(out) > MAX_PARAMS:
        raise errors.query_param(
            "Too many query parameters", f"At most {MAX_PARAMS} query parameters are accepted"
        )
    return out


def _last_word(key: str) -> str:
    return key.rsplit(".", 1)[-1]


def _strip_quant(word: str) -> str:
    for suffix in ("(any)", "(all)"):
        if word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def looks_like_filter(value: str) -> bool:
    """PostgREST's hasOperator || hasFtsOperator on a parameter value."""
    parts = value.split(".")
    first = parts[0]
    if (first == "not" and len(parts) >= 2) or first in ("is", "in"):
        return True
    if _strip_quant(first) in SIMPLE_OPS or first in FTS_OPS:
        return True
    paren = value.split("(")
    return len(paren) >= 2 and paren[0] in FTS_OPS


def _grammar(exc: GrammarError) -> ApiError:
    return errors.query_param(exc.message, exc.details)


def parse_filter(key: str, value: str) -> tuple[Path, Filter]:
    try:
        path, fld = parse_tree_path(key)
        return path, Filter(fld, parse_filter_value(value))
    except GrammarError as exc:
        raise _grammar(exc) from None


def _parse_int(value: str) -> int | None:
    """Haskell's readMaybe: what does not parse is ignored, as PostgREST does."""
    return int(value) if _INTEGER.match(value) else None


@dataclass(slots=True)
class QueryParams:
    select: tuple[SelectItem, ...]
    has_select: bool
    filters: list[tuple[Path, Filter]]
    filter_params: list[tuple[str, str]]
    logic: list[tuple[Path, LogicTree]]
    order: dict[Path, tuple[OrderTerm, ...]]
    ranges: dict[Path, Range]
    params: list[tuple[str, str]]
    columns: tuple[str, ...] | None
    on_conflict: tuple[str, ...] | None


def parse_query(  # noqa: PLR0912, PLR0915 - the classification table of QueryParams.hs
    qs: bytes, defer_filters: bool = False
) -> QueryParams:
    """The query string's parts. With defer_filters (RPC), top-level filter-looking params
    are kept raw too, because the planner decides whether they are arguments."""
    pairs = split_query(qs)
    select_text = "*"
    has_select = False
    columns = on_conflict = None
    filters: list[tuple[Path, Filter]] = []
    filter_params: list[tuple[str, str]] = []
    logic: list[tuple[Path, LogicTree]] = []
    order: dict[Path, tuple[OrderTerm, ...]] = {}
    limits: dict[Path, int | None] = {}
    offsets: dict[Path, int | None] = {}
    params: list[tuple[str, str]] = []
    try:
        for key, value in pairs:
            if key == "select":
                if value is not None:
                    select_text, has_select = value, True
                continue
            if key == "columns":
                if value is not None:
                    columns = parse_columns(value)
                continue
            if key == "on_conflict":
                if value is not None:
                    on_conflict = parse_columns(value)
                continue
            if value is None:
                continue
            word = _last_word(key)
            if word == "order":
                path, _ = parse_tree_path(key)
                order[path] = parse_order(value)
            elif word == "limit":
                limits[parse_tree_path(key)[0]] = _parse_int(value)
            elif word == "offset":
                offsets[parse_tree_path(key)[0]] = _parse_int(value)
            elif word in ("and", "or"):
                path, negated, op = parse_logic_key(key)
                logic.append((path, parse_logic_tree(negated, op, value)))
            elif "." in key:
                filters.append(parse_filter(key, value))
            elif not defer_filters:
                # on tables and views every other parameter is a filter (PostgREST v12)
                filters.append(parse_filter(key, value))
            elif looks_like_filter(value):
                filter_params.append((key, value))
            else:
                params.append((key, value))
        select = parse_select(select_text)
    except GrammarError as exc:
        raise _grammar(exc) from None
    ranges: dict[Path, Range] = {}
    for path in limits.keys() | offsets.keys():
        limit = limits.get(path)
        offset = offsets.get(path)
        if limit is not None and limit < 0:
            raise errors.invalid_range("Limit should be greater than or equal to zero.")
        base = Range(offset if offset is not None else 0)
        ranges[path] = base.restrict(limit)
    return QueryParams(
        select,
        has_select,
        filters,
        filter_params,
        logic,
        order,
        ranges,
        params,
        columns,
        on_conflict,
    )


# --- headers --------------------------------------------------------------------------------

_RANGE = re.compile(r"^([0-9]+)-([0-9]*)$")


def parse_range_header(value: str | None) -> Range:
    """`Range: 0-9` (items). Anything else is ignored, as PostgREST does."""
    if not value:
        return ALL
    match = _RANGE.match(value.strip())
    if not match:
        return ALL
    lower = int(match.group(1))
    upper = int(match.group(2)) if match.group(2) else None
    if upper is not None and lower > upper:
        raise errors.invalid_range(
            "The lower boundary must be lower than or equal to the "
            "upper boundary in the Range header."
        )
    return Range(lower, upper)


_PREFS: dict[str, dict[str, str]] = {
    "return": {"representation": "full", "minimal": "minimal", "headers-only": "headers-only"},
    "count": {"exact": "exact", "planned": "planned", "estimated": "estimated"},
    "resolution": {
        "merge-duplicates": "merge-duplicates",
        "ignore-duplicates": "ignore-duplicates",
    },
    "missing": {"default": "default", "null": "null"},
    "handling": {"lenient": "lenient", "strict": "strict"},
    "tx": {"commit": "commit", "rollback": "rollback"},
}
_PREF_ATTR = {"return": "representation"}


def parse_prefer(values: list[str]) -> Preferences:
    prefs = Preferences()
    for header in values:
        for raw_token in header.split(","):
            token = raw_token.strip()
            if not token:
                continue
            key, _, val = (s.strip() for s in token.partition("="))
            attr = _PREF_ATTR.get(key, key).replace("-", "_")
            if key in _PREFS and val in _PREFS[key]:
                value: str | int = _PREFS[key][val]
            elif key == "timezone" and val:
                value = val
            elif key == "max-affected" and _INTEGER.match(val):
                value = int(val)
            else:
                prefs.invalid.append(token)
                continue
            if getattr(prefs, attr) is None:  # the first occurrence wins, as in PostgREST
                setattr(prefs, attr, value)
    if prefs.handling == "strict" and prefs.invalid:
        raise errors.invalid_preferences(prefs.invalid)
    return prefs


def parse_accept(value: str | None) -> tuple[MediaType, ...]:
    if not value or not value.strip():
        return (MediaType("*/*"),)
    types: list[MediaType] = []
    for part in value.split(","):
        pieces = [p.strip() for p in part.split(";")]
        if not pieces[0]:
            continue
        q = 1.0
        params: list[tuple[str, str]] = []
        for piece in pieces[1:]:
            k, _, v = piece.partition("=")
            k, v = k.strip().lower(), v.strip().strip('"')
            if k == "q":
                try:
                    q = float(v)
                except ValueError:
                    q = 0.0
            elif k:
                params.append((k, v))
        types.append(MediaType(pieces[0].lower(), tuple(params), q))
    types.sort(key=lambda m: -m.q)  # stable: ties keep the client's order
    return tuple(m for m in types if m.q > 0) or (MediaType("*/*"),)


def parse_cookies(value: str | None) -> dict[str, str]:
    cookies: dict[str, str] = {}
    if value:
        for part in value.split(";"):
            k, eq, v = part.strip().partition("=")
            if eq and k:
                cookies[k] = v
    return cookies


# --- the whole request ----------------------------------------------------------------------


def resolve_target(path: str) -> tuple[Literal["root", "relation", "rpc"], str]:
    parts = [p for p in path.split("/") if p != ""] if path not in ("", "/") else []
    if not parts:
        return "root", ""
    if len(parts) == 1:
        return "relation", parts[0]
    if len(parts) == 2 and parts[0] == "rpc":
        return "rpc", parts[1]
    raise errors.invalid_path()


def negotiate_schema(
    method: str, headers: dict[str, str], schemas: tuple[str, ...]
) -> tuple[str, bool]:
    header = "accept-profile" if method in ("GET", "HEAD", "OPTIONS") else "content-profile"
    profile = headers.get(header)
    if profile is None:
        return schemas[0], len(schemas) > 1
    if profile not in schemas:
        raise errors.unacceptable_schema(profile, schemas)
    return profile, len(schemas) > 1


def build(  # noqa: PLR0917 - the parts of an HTTP request, in their natural order
    method: str,
    path: str,
    query_string: bytes,
    headers: dict[str, str],
    prefer_values: list[str],
    body: bytes,
    schemas: tuple[str, ...],
) -> ApiRequest:
    """Everything about one request that can be known without the database."""
    target, name = resolve_target(path)
    schema, by_profile = negotiate_schema(method, headers, schemas)
    qp = parse_query(query_string, defer_filters=(target == "rpc"))
    prefer = parse_prefer(prefer_values)
    top = qp.ranges.get((), ALL)
    if method == "GET":
        top = top.intersect(parse_range_header(headers.get("range")))
    return ApiRequest(
        method=method,
        target=target,
        name=name,
        schema=schema,
        negotiated_by_profile=by_profile,
        path=path,
        select=qp.select,
        filters=qp.filters,
        logic=qp.logic,
        order=qp.order,
        ranges=qp.ranges,
        top_range=top,
        params=qp.params,
        filter_params=qp.filter_params,
        columns=qp.columns,
        on_conflict=qp.on_conflict,
        prefer=prefer,
        accept=parse_accept(headers.get("accept")),
        content_type=headers.get("content-type", "application/json").split(";")[0].strip().lower()
        or "application/json",
        body=body,
        headers=headers,
        cookies=parse_cookies(headers.get("cookie")),
        has_select=qp.has_select,
        query_string=query_string,
    )

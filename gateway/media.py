"""Media-type handlers and content negotiation, as PostgREST 12's Plan.negotiateContent.

A handler turns the rows of a read into the response body. The builtins are JSON, CSV,
GeoJSON and the vendor types; custom handlers come from the database (schema cache): a
domain named after a media type (`CREATE DOMAIN "text/csv" AS text`, `"*/*"` for any)
returned by an aggregate over a relation's row type (or `anyelement`), or by a function,
which then produces that media type itself. Negotiation walks the Accept list in order
(q-values already sorted by request.parse_accept) and takes the first type something
offers, else 406 PGRST107. Pure: no database.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway import errors
from gateway.errors import ApiError
from gateway.request import MediaType

ANY_ELEMENT = ("", "anyelement")  # the target of handlers for every relation
ANY = "*/*"

# Types PostgREST knows by name (MediaType.decodeMediaType); others are "MTOther", whose
# Content-Type carries no charset, like application/octet-stream.
_CHARSET_TYPES = frozenset(
    {
        "application/json",
        "application/geo+json",
        "text/csv",
        "text/plain",
        "text/xml",
        "application/openapi+json",
        "application/x-www-form-urlencoded",
    }
)


@dataclass(frozen=True, slots=True)
class MediaHandler:
    """A custom handler: `aggregate` over the rows, or a function whose result is the body.

    `media_type` is what the Content-Type says (the domain's name; `*/*` answers
    application/octet-stream unless the handler sets response.headers); `binary` when the
    domain is over bytea, so the body is its bytes rather than its text."""

    media_type: str
    schema: str
    name: str
    binary: bool = False
    aggregate: bool = True

    @property
    def content_type(self) -> bytes:
        charset = "; charset=utf-8" if self.media_type in _CHARSET_TYPES else ""
        return (self.media_type + charset).encode()


# (target relation or function, or ANY_ELEMENT, media type) → handler
HandlerMap = dict[tuple[tuple[str, str], str], MediaHandler]


@dataclass(frozen=True, slots=True)
class Resolved:
    """The outcome of negotiation: a builtin media (plan.Media) or a custom handler."""

    media: str
    stripped: bool = False
    handler: MediaHandler | None = None


def negotiate(
    accept: tuple[MediaType, ...],
    builtins: dict[str, str],
    default: str,
    *,
    handlers: HandlerMap,
    target: tuple[str, str] | None,
    default_select: bool,
) -> Resolved:
    """The first accepted type that a handler or builtin produces.

    As PostgREST: the vendor types cannot be overridden; a relation's own handlers apply
    only when the select is the default `*` (they take the relation's row type), and its
    `*/*` handler answers any Accept; then handlers for `anyelement`; then the builtins."""
    for mt in accept:
        if mt.type.startswith("application/vnd.pgrst."):
            found = builtins.get(mt.type)
            if found is not None:
                return Resolved(found, mt.nulls_stripped)
            continue
        custom = lookup(handlers, target, mt.type, default_select)
        if custom is not None:
            return Resolved("custom", handler=custom)
        if mt.type in (ANY, "application/*") and mt.type not in builtins:
            return Resolved(default)
        found = builtins.get(mt.type)
        if found is not None:
            return Resolved(found)
    raise errors.media_type([str(m) for m in accept])


def lookup(
    handlers: HandlerMap, target: tuple[str, str] | None, mt: str, default_select: bool
) -> MediaHandler | None:
    if not handlers:
        return None
    if target is not None and default_select:
        own = handlers.get((target, ANY)) or handlers.get((target, mt))
        if own is not None:
            return own
    return handlers.get((ANY_ELEMENT, mt))


def handler_map(rows: list[tuple[str, str, str, str, str, str, bool, bool]]) -> HandlerMap:
    """From the schema cache's media_handlers rows: (handler schema, handler name, target
    schema, target name, media type, resolved media type, binary, aggregate)."""
    out: HandlerMap = {}
    for h_schema, h_name, t_schema, t_name, mt, resolved, binary, aggregate in rows:
        target = (
            ANY_ELEMENT
            if (t_schema, t_name) == ("pg_catalog", "anyelement")
            else (
                t_schema,
                t_name,
            )
        )
        out[(target, mt.lower())] = MediaHandler(resolved, h_schema, h_name, binary, aggregate)
    return out


GEOJSON = "application/geo+json"


class NoPostgis(ApiError):
    """A 42883 the planner gives from the schema cache: no reason to reload it."""


def no_postgis() -> ApiError:
    """What PostgreSQL answers PostgREST's GeoJSON statement without PostGIS (its 42883,
    404 in PostgREST's table), given without running the statement."""
    return NoPostgis(
        404,
        "42883",
        "function st_asgeojson(record) does not exist",
        None,
        "No function matches the given name and argument types. "
        "You might need to add explicit type casts.",
    )

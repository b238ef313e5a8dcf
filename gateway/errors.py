"""Every error a client can see: PostgREST's codes, messages and HTTP statuses.

Codes are grouped by the stage that raises them, as in PostgREST's Error.hs:
PGRST0xx connection, 1xx request, 2xx schema cache, 3xx JWT, X00 internal.
Retired codes stay as comments so that a number is never reused. The SQLSTATE →
HTTP table at the bottom is the one mapping from database errors to statuses.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

JSON_CT = b"application/json; charset=utf-8"


class ApiError(Exception):
    """An error answered in PostgREST's shape: {"code","message","details","hint"}."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        hint: Any = None,
        *,
        headers: Sequence[tuple[bytes, bytes]] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.hint = hint
        self.headers = list(headers)

    def body(self) -> bytes:
        return json.dumps(
            {
                "code": self.code,
                "details": self.details,
                "hint": self.hint,
                "message": self.message,
            },
            ensure_ascii=False,
        ).encode()

    def __repr__(self) -> str:
        return f"ApiError({self.status}, {self.code!r}, {self.message!r})"


# --- PGRST0xx: connection -------------------------------------------------------------


def db_connection(details: str | None = None) -> ApiError:
    """PGRST000: the database cannot be reached."""
    return ApiError(503, "PGRST000", "Database connection error. Retrying the connection.", details)


def db_client(details: str | None = None) -> ApiError:
    """PGRST001: the connection broke while in use."""
    return ApiError(503, "PGRST001", "Database client error. Retrying the connection.", details)


def no_schema_cache() -> ApiError:
    """PGRST002: no schema cache could be loaded yet."""
    return ApiError(503, "PGRST002", "Could not query the database for the schema cache. Retrying.")


def pool_timeout() -> ApiError:
    """PGRST003: every pooled connection stayed busy for db-pool-acquisition-timeout."""
    return ApiError(504, "PGRST003", "Timed out acquiring connection from connection pool.")


# --- PGRST1xx: request ----------------------------------------------------------------


def query_param(message: str, details: str) -> ApiError:
    """PGRST100: the query string does not parse."""
    return ApiError(400, "PGRST100", message, details)


def invalid_rpc_method(method: str) -> ApiError:
    """PGRST101."""
    return ApiError(405, "PGRST101", f"Cannot use the {method} method on RPC")


def invalid_body(message: str) -> ApiError:
    """PGRST102."""
    return ApiError(400, "PGRST102", message)


def invalid_range(details: str) -> ApiError:
    """PGRST103."""
    return ApiError(416, "PGRST103", "Requested range not satisfiable", details)


# PGRST104 ParseRequestError: no longer used


def invalid_filters() -> ApiError:
    """PGRST105."""
    return ApiError(
        405, "PGRST105", "Filters must include all and only primary key columns with 'eq' operators"
    )


def unacceptable_schema(schema: str, exposed: Sequence[str]) -> ApiError:
    """PGRST106."""
    return ApiError(
        406,
        "PGRST106",
        f"Invalid schema: {schema}",
        None,
        "Only the following schemas are exposed: " + ", ".join(exposed),
    )


def media_type(accepted: Sequence[str]) -> ApiError:
    """PGRST107."""
    return ApiError(
        406, "PGRST107", "None of these media types are available: " + ", ".join(accepted)
    )


def not_embedded(resource: str) -> ApiError:
    """PGRST108."""
    return ApiError(
        400,
        "PGRST108",
        f"'{resource}' is not an embedded resource in this request",
        None,
        f"Verify that '{resource}' is included in the 'select' query parameter.",
    )


# PGRST109 LimitNoOrderError / SpreadNotToOne: no longer used
# PGRST110 OffLimitsChangesError: no longer used


def guc_headers() -> ApiError:
    """PGRST111."""
    return ApiError(
        500,
        "PGRST111",
        "response.headers guc must be a JSON array composed of objects with a "
        "single key and a string value",
    )


def guc_status() -> ApiError:
    """PGRST112."""
    return ApiError(500, "PGRST112", "response.status guc must be a valid status code")


# PGRST113 BinaryFieldError: no longer used


def put_limit() -> ApiError:
    """PGRST114."""
    return ApiError(400, "PGRST114", "limit/offset querystring parameters are not allowed for PUT")


def put_matching_pk() -> ApiError:
    """PGRST115."""
    return ApiError(400, "PGRST115", "Payload values do not match URL in primary key column(s)")


def singularity(rows: int) -> ApiError:
    """PGRST116."""
    return ApiError(
        406,
        "PGRST116",
        "Cannot coerce the result to a single JSON object",
        f"The result contains {rows} rows",
    )


def unsupported_method(method: str) -> ApiError:
    """PGRST117."""
    return ApiError(405, "PGRST117", f"Unsupported HTTP method: {method}")


def related_order_not_to_one(origin: str, target: str) -> ApiError:
    """PGRST118."""
    return ApiError(
        400,
        "PGRST118",
        f"A related order on '{target}' is not possible",
        f"'{origin}' and '{target}' do not form a many-to-one or one-to-one relationship",
    )


def unacceptable_filter(target: str) -> ApiError:
    """PGRST120."""
    return ApiError(
        400,
        "PGRST120",
        f"Bad operator on the '{target}' embedded resource",
        "Only is null or not is null filters are allowed on embedded resources",
    )


def pgrst_parse(details: str, hint: str) -> ApiError:
    """PGRST121: RAISE SQLSTATE 'PGRST' with a MESSAGE or DETAIL that is not the JSON needed."""
    return ApiError(
        500,
        "PGRST121",
        "Could not parse JSON in the \"RAISE SQLSTATE 'PGRST'\" error",
        details,
        hint,
    )


def invalid_preferences(prefs: Sequence[str]) -> ApiError:
    """PGRST122."""
    return ApiError(
        400,
        "PGRST122",
        "Invalid preferences given with handling=strict",
        "Invalid preferences: " + ", ".join(prefs),
    )


def aggregates_not_allowed() -> ApiError:
    """PGRST123."""
    return ApiError(400, "PGRST123", "Use of aggregate functions is not allowed")


def max_affected(rows: int) -> ApiError:
    """PGRST124."""
    return ApiError(
        400,
        "PGRST124",
        "Query result exceeds max-affected preference constraint",
        f"The query affects {rows} rows",
    )


def max_affected_rpc() -> ApiError:
    """PGRST128."""
    return ApiError(
        400,
        "PGRST128",
        "Function must return SETOF or TABLE when max-affected preference is used with "
        "handling=strict",
    )


def invalid_path() -> ApiError:
    """PGRST125."""
    return ApiError(404, "PGRST125", "Invalid path specified in request URL")


def openapi_disabled() -> ApiError:
    """PGRST126."""
    return ApiError(404, "PGRST126", "Root endpoint metadata is disabled")


def not_implemented(details: str) -> ApiError:
    """PGRST127."""
    return ApiError(400, "PGRST127", "Feature not implemented", details)


# --- PGRST2xx: schema cache -----------------------------------------------------------


def no_relationship(parent: str, child: str, schema: str, hint: str | None = None) -> ApiError:
    """PGRST200."""
    return ApiError(
        400,
        "PGRST200",
        f"Could not find a relationship between '{parent}' and '{child}' in the schema cache",
        f"Searched for a foreign key relationship between '{parent}' and '{child}' "
        f"in the schema '{schema}', but no matches were found.",
        hint,
    )


def ambiguous_relationship(parent: str, child: str, details: Any, hint: str) -> ApiError:
    """PGRST201."""
    return ApiError(
        300,
        "PGRST201",
        f"Could not embed because more than one relationship was found for "
        f"'{parent}' and '{child}'",
        details,
        hint,
    )


def no_rpc(
    schema: str,
    name: str,
    keys: Sequence[str],
    details: str,
    hint: str | None,
    *,
    single: bool = False,
) -> ApiError:
    """PGRST202. `single`: a text/xml/bytea body, which names no parameters."""
    params = "" if single else " without parameters" if not keys else "(" + ", ".join(keys) + ")"
    return ApiError(
        404,
        "PGRST202",
        f"Could not find the function {schema}.{name}{params} in the schema cache",
        details,
        hint,
    )


def ambiguous_rpc(candidates: Sequence[str]) -> ApiError:
    """PGRST203."""
    return ApiError(
        300,
        "PGRST203",
        "Could not choose the best candidate function between: " + ", ".join(candidates),
        None,
        "Try renaming the parameters or the function itself in the database so "
        "function overloading can be resolved",
    )


def column_not_found(relation: str, column: str) -> ApiError:
    """PGRST204."""
    return ApiError(
        400, "PGRST204", f"Could not find the '{column}' column of '{relation}' in the schema cache"
    )


def table_not_found(schema: str, name: str, hint: str | None = None) -> ApiError:
    """PGRST205."""
    return ApiError(
        404,
        "PGRST205",
        f"Could not find the table '{schema}.{name}' in the schema cache",
        None,
        hint,
    )


# --- PGRST3xx: JWT --------------------------------------------------------------------


def _invalid_token(message: str, details: str | None = None) -> ApiError:
    header = f'Bearer error="invalid_token", error_description={json.dumps(message)}'
    return ApiError(
        401, "PGRST301", message, details, headers=[(b"www-authenticate", header.encode())]
    )


def jwt_secret_missing() -> ApiError:
    """PGRST300."""
    return ApiError(500, "PGRST300", "Server lacks JWT secret")


def jwt_decode(message: str, details: str | None = None) -> ApiError:
    """PGRST301: the token cannot be decoded or its signature does not verify."""
    return _invalid_token(message, details)


def jwt_required() -> ApiError:
    """PGRST302: no token and no anonymous role."""
    return ApiError(
        401, "PGRST302", "Anonymous access is disabled", headers=[(b"www-authenticate", b"Bearer")]
    )


def jwt_claims(message: str) -> ApiError:
    """PGRST303: the token decodes but its claims are not acceptable."""
    err = _invalid_token(message)
    err.code = "PGRST303"
    return err


# --- PGRSTX00: internal ---------------------------------------------------------------


def internal() -> ApiError:
    """PGRSTX00: an unexpected failure; the details go to the log, never to the client."""
    return ApiError(500, "PGRSTX00", "Internal server error")


# --- SQLSTATE → HTTP ------------------------------------------------------------------

# Exact codes first, then two-character classes, as PostgREST's mapSQLtoHTTP.
_EXACT = {
    "23503": 409,  # foreign_key_violation
    "23505": 409,  # unique_violation
    "25006": 405,  # read_only_sql_transaction
    "53400": 500,  # config limit exceeded
    "57P01": 503,  # terminating connection due to administrator command
    "P0001": 400,  # default code for "raise"
    "42P01": 404,  # undefined table
    "42P17": 500,  # infinite recursion
}
_CLASS = {
    "08": 503,  # pg connection err
    "09": 500,  # triggered action exception
    "0L": 403,  # invalid grantor
    "0P": 403,  # invalid role specification
    "25": 500,  # invalid tx state
    "28": 403,  # invalid auth specification
    "2D": 500,  # invalid tx termination
    "38": 500,  # external routine exception
    "39": 500,  # external routine invocation
    "3B": 500,  # savepoint exception
    "40": 500,  # tx rollback
    "53": 503,  # insufficient resources
    "54": 500,  # too complex
    "55": 500,  # obj not on prereq state
    "57": 500,  # operator intervention
    "58": 500,  # system error
    "F0": 500,  # conf file error
    "HV": 500,  # foreign data wrapper error
    "P0": 500,  # PL/pgSQL error
    "XX": 500,  # internal error
}


def sqlstate_status(sqlstate: str, message: str, authenticated: bool) -> int:
    """The HTTP status PostgREST answers for a database error."""
    if sqlstate == "21000":  # cardinality_violation; pg-safeupdate's is the client's fault
        return 400 if message.endswith("requires a WHERE clause") else 500
    if sqlstate == "22023":  # invalid_parameter_value; a JWT role that does not exist
        return 401 if message.startswith("role") and message.endswith("does not exist") else 400
    if sqlstate == "42883":  # undefined function
        return 406 if message.startswith("function xmlagg(") else 404
    if sqlstate == "42501":  # insufficient privilege
        return 403 if authenticated else 401
    if sqlstate in _EXACT:
        return _EXACT[sqlstate]
    if sqlstate.startswith("PT"):  # RAISE SQLSTATE 'PT402' → 402
        digits = sqlstate[2:]
        return int(digits) if digits.isdigit() and 100 <= int(digits) <= 599 else 500
    return _CLASS.get(sqlstate[:2], 400)


def from_raise_pgrst(message: str, detail: str | None) -> ApiError:
    """RAISE SQLSTATE 'PGRST': MESSAGE is the body, DETAIL is {status, status_text?, headers}."""
    try:
        body = json.loads(message)
        if not isinstance(body, dict) or "code" not in body or "message" not in body:
            raise ValueError
    except ValueError:
        return pgrst_parse(
            f"Invalid JSON value for MESSAGE: '{message}'",
            "MESSAGE must be a JSON object with obligatory keys: 'code', 'message' and optional "
            "keys: 'details', 'hint'.",
        )
    hint_det = (
        "DETAIL must be a JSON object with obligatory keys: 'status', 'headers' and "
        "optional key: 'status_text'."
    )
    if detail is None:
        return pgrst_parse("DETAIL is missing in the RAISE statement", hint_det)
    try:
        det = json.loads(detail)
        if (
            not isinstance(det, dict)
            or not isinstance(det.get("status"), int)
            or not isinstance(det.get("headers"), dict)
        ):
            raise ValueError
    except ValueError:
        return pgrst_parse(f"Invalid JSON value for DETAIL: '{detail}'", hint_det)
    headers = [(str(k).lower().encode(), str(v).encode()) for k, v in det["headers"].items()]
    return ApiError(
        det["status"],
        str(body["code"]),
        str(body["message"]),
        body.get("details"),
        body.get("hint"),
        headers=headers,
    )


def from_postgres(
    sqlstate: str, message: str, detail: str | None, hint: str | None, authenticated: bool
) -> ApiError:
    """A database error as PostgREST reports it: the SQLSTATE is the code."""
    if sqlstate == "PGRST":
        return from_raise_pgrst(message, detail)
    status = sqlstate_status(sqlstate, message, authenticated)
    headers = [(b"www-authenticate", b"Bearer")] if status == 401 else []
    return ApiError(status, sqlstate, message, detail, hint, headers=headers)

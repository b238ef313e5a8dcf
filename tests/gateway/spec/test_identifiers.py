"""Identifiers are quoted, never interpolated raw: mixed case, spaces, dollars and
PostgREST's reserved characters in table and column names (QuerySpec.hs "weird requests").
"""

from __future__ import annotations

from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import assert_rows


def test_mixed_case_table_and_columns(api: Gateway) -> None:
    assert_rows(
        api.get("/MixedCase?select=someId,Label&someId=eq.2"), [{"someId": 2, "Label": "two"}]
    )


def test_case_is_significant(api: Gateway) -> None:
    resp = api.get("/mixedcase")
    assert resp.status_code == 404
    assert resp.json()["code"] == "PGRST205"
    resp = api.get("/MixedCase?select=someid")
    assert resp.status_code == 400
    body = resp.json()
    # Postgres adds a "Perhaps you meant…" hint or not depending on the statement's shape,
    # which is the engine's business; code, message and details are pinned.
    assert (body["code"], body["message"], body["details"]) == (
        "42703",
        "column MixedCase.someid does not exist",
        None,
    )
    assert body["hint"] in (None, 'Perhaps you meant to reference the column "MixedCase.someId".')


def test_spaces_in_table_and_column_names(api: Gateway) -> None:
    assert_rows(
        api.get(
            "/Server%20Today?select=Just%20A%20Server%20Model"
            "&Just%20A%20Server%20Model=like.*91*&order=Just%20A%20Server%20Model"
        ),
        [
            {"Just A Server Model": " IBM,9113-550 (P5-550)"},
            {"Just A Server Model": " IBM,9131-52A (P5-52A)"},
        ],
    )


def test_dollars_without_quoting(api: Gateway) -> None:
    assert_rows(api.get("/do$llar$s?select=a$num$&a$num$=eq.100"), [{"a$num$": 100}])


def test_quoted_columns_with_reserved_characters(api: Gateway) -> None:
    assert_rows(
        api.get(
            "/pgrst_reserved_chars?select=%22:arr-%3Eow::cast%22,%22(inside,parens)%22,"
            "%22a.dotted.column%22,%22%20%20col%20%20w%20%20space%20%20%22&%22*id*%22=eq.1"
        ),
        [
            {
                ":arr->ow::cast": " arrow-1 ",
                "(inside,parens)": " parens-1 ",
                "a.dotted.column": " dotted-1 ",
                "  col  w  space  ": " space-1",
            }
        ],
    )


def test_quoted_column_in_order_and_logic_tree(api: Gateway) -> None:
    assert_rows(
        api.get(
            '/pgrst_reserved_chars?select="*id*"&order="*id*".desc'
            '&or=("a.dotted.column".eq." dotted-1 ","a.dotted.column".eq." dotted-2 ")'
        ),
        [{"*id*": 2}, {"*id*": 1}],
    )


def test_alias_with_reserved_characters(api: Gateway) -> None:
    assert_rows(
        api.get('/MixedCase?select="my alias, (odd)":someId&someId=eq.1'),
        [{"my alias, (odd)": 1}],
    )

"""The query-string grammar: select trees, filters, logic trees, order (PostgREST's)."""

from __future__ import annotations

import pytest

from gateway.syntax import (
    Field,
    Filter,
    GrammarError,
    LogicTree,
    OpExpr,
    OrderTerm,
    SelectField,
    SelectRelation,
    parse_columns,
    parse_filter_value,
    parse_logic_key,
    parse_logic_tree,
    parse_order,
    parse_select,
    parse_tree_path,
)


def test_select_columns_star_alias_cast() -> None:
    assert parse_select("id, name:full_name,*,total::text") == (
        SelectField(Field("id")),
        SelectField(Field("full_name"), alias="name"),
        SelectField(Field("*")),
        SelectField(Field("total"), cast="text"),
    )


def test_select_json_paths() -> None:
    (item,) = parse_select("alias:data->a->>0::int")
    assert item == SelectField(Field("data", (("->", "a"), ("->>", 0))), "int", "alias")
    (neg,) = parse_select("data->-1")
    assert neg == SelectField(Field("data", (("->", -1),)))


def test_select_quoted_names_keep_reserved_characters() -> None:
    (item,) = parse_select('"a,b.c:d"')
    assert item == SelectField(Field("a,b.c:d"))
    (esc,) = parse_select('"with \\"quote\\""')
    assert esc == SelectField(Field('with "quote"'))


def test_select_dashes_join_identifiers_but_not_arrows() -> None:
    assert parse_select("my-col") == (SelectField(Field("my-col")),)
    assert parse_select("my-col->k") == (SelectField(Field("my-col", (("->", "k"),))),)


def test_select_embeds_for_part_two() -> None:
    (rel,) = parse_select("c:clients!fk!inner(id,projects(*))")
    assert isinstance(rel, SelectRelation)
    assert (rel.name, rel.alias, rel.hint, rel.join_type) == ("clients", "c", "fk", "inner")
    assert rel.children[1] == SelectRelation("projects", (SelectField(Field("*")),))
    (spread,) = parse_select("...clients(name)")
    assert isinstance(spread, SelectRelation) and spread.spread


@pytest.mark.parametrize(
    "bad",
    [
        "",
        ",",
        "id,",
        "id;x",
        "id::",
        "(select 1)",
        "data->>--34",
        "id!hint",
        "a:*",
        "x(",
        "id)",
        '"unterminated',
    ],
)
def test_select_errors(bad: str) -> None:
    with pytest.raises(GrammarError) as exc:
        parse_select(bad)
    assert "failed to parse select parameter" in exc.value.message


def test_bad_json_path_message_matches_postgrest() -> None:
    with pytest.raises(GrammarError) as exc:
        parse_select("data->>--34")
    assert (
        exc.value.message == '"failed to parse select parameter (data->>--34)" (line 1, column 9)'
    )
    assert exc.value.details == 'unexpected "-" expecting digit'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("eq.1", OpExpr(False, "eq", "1")),
        ("not.eq.a.b,c", OpExpr(True, "eq", "a.b,c")),
        ("like.*x*", OpExpr(False, "like", "*x*")),
        ("isdistinct.2", OpExpr(False, "isdistinct", "2")),
        ("is.NULL", OpExpr(False, "is", "NULL")),
        ("is.unknown", OpExpr(False, "is", "UNKNOWN")),
        ("is.Not_Null", OpExpr(False, "is", "NOT NULL")),
        ("in.(1,2,3)", OpExpr(False, "in", ("1", "2", "3"))),
        ('in.("a,b",c)', OpExpr(False, "in", ("a,b", "c"))),
        ("in.()", OpExpr(False, "in", ("",))),
        ("fts(english).cat & dog", OpExpr(False, "fts", "cat & dog", language="english")),
        ("wfts.a b", OpExpr(False, "wfts", "a b")),
        ("eq(any).{1,2}", OpExpr(False, "eq", "{1,2}", quant="any")),
        ("like(all).{a*,*b}", OpExpr(False, "like", "{a*,*b}", quant="all")),
        ("cs.{a,b}", OpExpr(False, "cs", "{a,b}")),
        ("adj.(1,2)", OpExpr(False, "adj", "(1,2)")),
        ("eq.", OpExpr(False, "eq", "")),
    ],
)
def test_filter_values(text: str, expected: OpExpr) -> None:
    assert parse_filter_value(text) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "0",
        "",
        "equals.1",
        "is.maybe",
        "in.1,2",
        "in.(1",
        "cs(any).{1}",
        "eq(some).1",
        "in.(1);drop table x",
        "fts(english').x",
    ],
)
def test_filter_errors(bad: str) -> None:
    with pytest.raises(GrammarError):
        parse_filter_value(bad)


def test_filter_without_operator_message_matches_postgrest() -> None:
    with pytest.raises(GrammarError) as exc:
        parse_filter_value("0")
    assert exc.value.message == '"failed to parse filter (0)" (line 1, column 1)'
    assert exc.value.details == 'unexpected "0" expecting "not" or operator (eq, gt, ...)'


def test_tree_paths() -> None:
    assert parse_tree_path("id") == ((), Field("id"))
    assert parse_tree_path("clients.projects.data->>x") == (
        ("clients", "projects"),
        Field("data", (("->>", "x"),)),
    )


def test_logic_keys() -> None:
    assert parse_logic_key("or") == ((), False, "or")
    assert parse_logic_key("not.and") == ((), True, "and")
    assert parse_logic_key("clients.not.or") == (("clients",), True, "or")


def test_logic_trees_nest_and_negate() -> None:
    tree = parse_logic_tree(False, "or", "(id.eq.1,not.and(name.like.*a*,id.gt.2),id.in.(4,5))")
    assert tree == LogicTree(
        False,
        "or",
        (
            Filter(Field("id"), OpExpr(False, "eq", "1")),
            LogicTree(
                True,
                "and",
                (
                    Filter(Field("name"), OpExpr(False, "like", "*a*")),
                    Filter(Field("id"), OpExpr(False, "gt", "2")),
                ),
            ),
            Filter(Field("id"), OpExpr(False, "in", ("4", "5"))),
        ),
    )


def test_logic_values_quoted_and_arrays() -> None:
    tree = parse_logic_tree(False, "and", '(name.eq."a,b)",tags.cs.{x,y},id.not.eq.3)')
    assert [c.expr for c in tree.children if isinstance(c, Filter)] == [
        OpExpr(False, "eq", "a,b)"),
        OpExpr(False, "cs", "{x,y}"),
        OpExpr(True, "eq", "3"),
    ]


def test_logic_whitespace() -> None:
    tree = parse_logic_tree(False, "and", "( and ( id.in.( 1, 2 ) , id.eq.3 ) , id.eq.2 )")
    assert isinstance(tree.children[0], LogicTree)


def test_empty_logic_tree_message_matches_postgrest() -> None:
    with pytest.raises(GrammarError) as exc:
        parse_logic_tree(False, "or", "()")
    assert exc.value.message == '"failed to parse logic tree (())" (line 1, column 4)'


def test_deep_logic_trees_are_refused() -> None:
    deep = "(id.eq.1,or" * 100 + "(id.eq.1)" + ")" * 100
    with pytest.raises(GrammarError):
        parse_logic_tree(False, "or", deep)


def test_order_terms() -> None:
    assert parse_order("id.desc.nullslast,name,data->>k.asc,clients(name).desc") == (
        OrderTerm(Field("id"), "desc", "last"),
        OrderTerm(Field("name")),
        OrderTerm(Field("data", (("->>", "k"),)), "asc"),
        OrderTerm(Field("name"), "desc", relation="clients"),
    )


@pytest.mark.parametrize(
    ("bad", "details"),
    [
        ("id.asc.nullslasttt", "unexpected 't' expecting \",\" or end of input"),
        ("id.descc", "unexpected 'c' expecting delimiter (.), \",\" or end of input"),
        ("id.ac", None),
        ("id;drop", None),
        ("", None),
    ],
)
def test_order_errors(bad: str, details: str | None) -> None:
    with pytest.raises(GrammarError) as exc:
        parse_order(bad)
    if details is not None:
        assert exc.value.details == details


def test_columns() -> None:
    assert parse_columns("a, b,c") == ("a", "b", "c")
    with pytest.raises(GrammarError):
        parse_columns("a->b")

"""The query-string grammar of PostgREST: select trees, filters, logic trees, order terms.

Pure functions from text to the small immutable values below; any input that does not
follow the grammar raises `GrammarError`, which the request stage turns into PGRST100.
The grammar follows PostgREST's ApiRequest/QueryParams.hs; names match it where they can.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

MAX_DEPTH = 32  # nesting of select embeds and and/or trees

JsonOp = tuple[Literal["->", "->>"], str | int]

SIMPLE_OPS = {
    "eq": "=",
    "neq": "<>",
    "gt": ">",
    "gte": ">=",
    "lt": "<",
    "lte": "<=",
    "like": "like",
    "ilike": "ilike",
    "match": "~",
    "imatch": "~*",
    "cs": "@>",
    "cd": "<@",
    "ov": "&&",
    "sl": "<<",
    "sr": ">>",
    "nxr": "&<",
    "nxl": "&>",
    "adj": "-|-",
    "isdistinct": "IS DISTINCT FROM",
}
# Operators that accept the (any)/(all) modifiers, as PostgREST's QuantOperator.
QUANT_OPS = frozenset({"eq", "gt", "gte", "lt", "lte", "like", "ilike", "match", "imatch"})
FTS_OPS = {
    "fts": "to_tsquery",
    "plfts": "plainto_tsquery",
    "phfts": "phraseto_tsquery",
    "wfts": "websearch_to_tsquery",
}
AGGREGATES = ("sum", "avg", "max", "min", "count")
TRILEANS = {
    "null": "NULL",
    "not_null": "NOT NULL",  # PostgREST 13
    "true": "TRUE",
    "false": "FALSE",
    "unknown": "UNKNOWN",
}


class GrammarError(Exception):
    def __init__(self, what: str, text: str, pos: int, details: str) -> None:
        super().__init__(details)
        self.message = f'"failed to parse {what} ({text})" (line 1, column {pos + 1})'
        self.details = details


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    json_path: tuple[JsonOp, ...] = ()


@dataclass(frozen=True, slots=True)
class SelectField:
    field: Field
    cast: str | None = None
    alias: str | None = None
    aggregate: str | None = None  # sum, avg, max, min, count (PostgREST 12)
    aggregate_cast: str | None = None


@dataclass(frozen=True, slots=True)
class SelectRelation:
    name: str
    children: tuple[SelectItem, ...]
    alias: str | None = None
    hint: str | None = None
    join_type: Literal["left", "inner"] | None = None
    spread: bool = False


SelectItem = SelectField | SelectRelation


@dataclass(frozen=True, slots=True)
class OpExpr:
    negated: bool
    op: str  # a SIMPLE_OPS / FTS_OPS key, "in" or "is"
    value: str | tuple[str, ...]  # tuple for "in"; the trilean keyword for "is"
    quant: Literal["any", "all"] | None = None
    language: str | None = None  # fts only


@dataclass(frozen=True, slots=True)
class Filter:
    field: Field
    expr: OpExpr


@dataclass(frozen=True, slots=True)
class LogicTree:
    negated: bool
    op: Literal["and", "or"]
    children: tuple[LogicTree | Filter, ...]


@dataclass(frozen=True, slots=True)
class OrderTerm:
    field: Field
    direction: Literal["asc", "desc"] | None = None
    nulls: Literal["first", "last"] | None = None
    relation: str | None = None


@dataclass(frozen=True, slots=True)
class EmbedPath:
    """Where a filter/order/limit applies: () for the top level, ("clients",) for an embed."""

    path: tuple[str, ...] = field(default=())


def _is_ident_char(c: str) -> bool:
    return c.isalpha() or "0" <= c <= "9" or c in "_ $"


class _Parser:
    """A tiny recursive-descent parser over one parameter value."""

    __slots__ = ("display", "pos", "text", "what")

    def __init__(self, what: str, text: str, display: str | None = None) -> None:
        self.what = what
        self.text = text
        self.display = text if display is None else display
        self.pos = 0

    # -- helpers -----------------------------------------------------------------------
    def fail(self, details: str, pos: int | None = None) -> GrammarError:
        return GrammarError(self.what, self.display, self.pos if pos is None else pos, details)

    def peek(self, s: str) -> bool:
        return self.text.startswith(s, self.pos)

    def eat(self, s: str) -> bool:
        if self.text.startswith(s, self.pos):
            self.pos += len(s)
            return True
        return False

    def expect(self, s: str) -> None:
        if not self.eat(s):
            self.fail_unexpected(f'"{s}"')

    def fail_unexpected(self, expecting: str, single_quotes: bool = False) -> None:
        """Parsec's wording: `unexpected "x"` from a parser, `'x'` where eof was expected."""
        if self.pos >= len(self.text):
            got = "end of input"
        else:
            q = "'" if single_quotes else '"'
            got = f"{q}{self.text[self.pos]}{q}"
        raise self.fail(f"unexpected {got} expecting {expecting}")

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t":
            self.pos += 1

    # -- names -------------------------------------------------------------------------
    def quoted(self) -> str:
        """ "…" with backslash escapes."""
        self.expect('"')
        out: list[str] = []
        text = self.text
        while True:
            if self.pos >= len(text):
                raise self.fail('unexpected end of input expecting "\\"" ')
            c = text[self.pos]
            if c == '"':
                self.pos += 1
                return "".join(out)
            if c == "\\":
                if self.pos + 1 >= len(text):
                    raise self.fail("unexpected end of input")
                out.append(text[self.pos + 1])
                self.pos += 2
                continue
            out.append(c)
            self.pos += 1

    def identifier(self) -> str:
        start = self.pos
        text = self.text
        while self.pos < len(text) and _is_ident_char(text[self.pos]):
            self.pos += 1
        if self.pos == start:
            self.fail_unexpected("field name (* or [a..z0..9_$])")
        return text[start : self.pos].strip()

    def field_name(self) -> str:
        if self.peek('"'):
            return self.quoted()
        parts = [self.identifier()]
        # '-' joins identifier parts unless it starts an arrow
        while self.peek("-") and not self.peek("->"):
            self.pos += 1
            parts.append(self.identifier())
        return "-".join(parts)

    def json_path(self) -> tuple[JsonOp, ...]:
        ops: list[JsonOp] = []
        while True:
            if self.eat("->>"):
                arrow: Literal["->", "->>"] = "->>"
            elif self.eat("->"):
                arrow = "->"
            else:
                return tuple(ops)
            ops.append((arrow, self.json_operand()))

    def json_operand(self) -> str | int:
        start = self.pos
        text = self.text
        i = start
        if i < len(text) and text[i] == "-":
            i += 1
        j = i
        while j < len(text) and "0" <= text[j] <= "9":
            j += 1
        if j > i and (j == len(text) or text.startswith(("->", "::", ".", ","), j)):
            self.pos = j
            return int(text[start:j])
        if i > start and j == i:  # a lone '-' is no name and no index
            self.pos = i
            self.fail_unexpected("digit")
        if i > start:  # "-78xy": a negative index cannot become a key
            self.pos = j
            self.fail_unexpected('digit, "->", "::", ".", "," or end of input', single_quotes=True)
        return self.field_name()

    def field(self) -> Field:
        self.ws()
        name = self.field_name()
        path = self.json_path()
        self.ws()
        return Field(name, path)


# --- select -------------------------------------------------------------------------------


def parse_select(text: str) -> tuple[SelectItem, ...]:
    p = _Parser("select parameter", text)
    items = _select_forest(p, 0)
    if not p.at_end():
        p.fail_unexpected('",", "(" or end of input')
    return items


def _select_forest(p: _Parser, depth: int) -> tuple[SelectItem, ...]:
    if depth > MAX_DEPTH:
        raise p.fail(f"select nesting deeper than {MAX_DEPTH}")
    items = [_select_item(p, depth)]
    while True:
        p.ws()
        if not p.eat(","):
            return tuple(items)
        p.ws()
        items.append(_select_item(p, depth))


def _select_end(p: _Parser, depth: int = 0, after_name: bool = False) -> None:
    if p.at_end() or p.peek(",") or (depth > 0 and p.peek(")")):
        return
    close = '")", ' if depth > 0 else ""
    if after_name:
        p.fail_unexpected(
            f'letter, digit, "-", "->>", "->", "::", ".", {close}"," or end of input',
            single_quotes=True,
        )
    p.fail_unexpected(f'"->", "::", {close}"," or end of input', single_quotes=True)


def _embed_params(p: _Parser) -> tuple[str | None, Literal["left", "inner"] | None]:
    """`!hint`, `!inner`/`!left`, in either order."""
    hint: str | None = None
    join: Literal["left", "inner"] | None = None
    for _ in range(2):
        if not p.eat("!"):
            break
        mark = p.pos
        if p.eat("inner") and (p.peek("(") or p.peek("!")):
            join = "inner"
        elif (p.pos == mark) and p.eat("left") and (p.peek("(") or p.peek("!")):
            join = "left"
        else:
            p.pos = mark
            hint = p.field_name()
    return hint, join


def _select_item(p: _Parser, depth: int) -> SelectItem:
    p.ws()
    if p.eat("*"):
        p.ws()
        _select_end(p, depth)
        return SelectField(Field("*"))
    spread = p.eat("...")
    alias: str | None = None
    start = p.pos
    name = p.field_name()
    if not spread and p.peek(":") and not p.peek("::"):
        p.pos += 1
        alias = name
        p.ws()
        start = p.pos
        if p.eat("*"):  # "alias:*" is not valid, as in PostgREST
            raise p.fail("unexpected '*' after alias", start)
        name = p.field_name()
    hint, join = _embed_params(p)
    if name == "count" and p.peek("()"):
        p.pos += 2
        agg_cast = p.identifier() if p.eat("::") else None
        p.ws()
        _select_end(p, depth)
        return SelectField(Field("*"), None, alias, "count", agg_cast)
    if p.peek("("):
        p.pos += 1
        p.ws()
        # `rel()` embeds nothing: it only filters the parent (PostgREST 12)
        children = () if p.peek(")") else _select_forest(p, depth + 1)
        p.ws()
        p.expect(")")
        p.ws()
        return SelectRelation(name, children, alias, hint, join, spread)
    if spread or hint is not None or join is not None:
        p.fail_unexpected('"("')
    return _field_select(p, depth, name, alias)


def _field_select(p: _Parser, depth: int, name: str, alias: str | None) -> SelectField:
    """After a column name: JSON path, cast, aggregate and its cast."""
    path = p.json_path()
    cast: str | None = None
    if p.eat("::"):
        cast = p.identifier()
        if not cast:
            p.fail_unexpected("letter or digit")
    aggregate = agg_cast = None
    for func in AGGREGATES:
        if p.eat(f".{func}()"):
            aggregate = func
            if p.eat("::"):
                agg_cast = p.identifier()
            break
    p.ws()
    _select_end(p, depth, after_name=not path and cast is None and aggregate is None)
    return SelectField(Field(name, path), cast, alias, aggregate, agg_cast)


# --- filters ------------------------------------------------------------------------------


def parse_tree_path(text: str) -> tuple[tuple[str, ...], Field]:
    """`clients.projects.name->x` → (("clients", "projects"), Field("name", ->x))."""
    p = _Parser("tree path", text)
    names = [p.field_name()]
    while p.eat("."):
        names.append(p.field_name())
    path = p.json_path()
    if not p.at_end():
        p.fail_unexpected('"->", "." or end of input')
    return tuple(names[:-1]), Field(names[-1], path)


def parse_filter_value(text: str, in_logic: bool = False) -> OpExpr:
    p = _Parser("filter", text)
    expr = _op_expr(p, in_logic)
    if not p.at_end():
        p.fail_unexpected("end of input")
    return expr


def _op_expr(p: _Parser, in_logic: bool) -> OpExpr:
    negated = False
    if p.peek("not.") and not p.peek("not.("):
        negated = True
        p.pos += 4
    return _operation(p, negated, in_logic)


def _op_error(p: _Parser, pos: int, start_of_value: bool) -> GrammarError:
    """Parsec's error for a bad operator: at the farthest position it reached."""
    p.pos = pos
    expecting = '"not" or operator (eq, gt, ...)' if start_of_value else "operator (eq, gt, ...)"
    try:
        p.fail_unexpected(expecting)
    except GrammarError as exc:
        return exc
    raise AssertionError("unreachable")


def _operation(  # noqa: PLR0912, PLR0915 - one branch per operator family
    p: _Parser, negated: bool, in_logic: bool
) -> OpExpr:
    text = p.text
    start = p.pos
    first = start == 0 or (not negated and not in_logic)
    i = start
    while i < len(text) and text[i] not in ".(":
        i += 1
    name = text[start:i]
    p.pos = i
    if name in ("in", "is"):
        if not p.eat("."):
            raise _op_error(p, i, False)
        if name == "in":
            if in_logic:
                return OpExpr(negated, "in", _list_value(p))
            return OpExpr(negated, "in", _whole_list_value(p))
        end = p.pos
        while end < len(text) and text[end] not in ",)":
            end += 1
        word = text[p.pos : end]
        if word.lower() not in TRILEANS:
            raise p.fail("unexpected value expecting null or trilean value (unknown, true, false)")
        p.pos = end if in_logic else p.pos + len(word)
        return OpExpr(negated, "is", TRILEANS[word.lower()])
    if name in FTS_OPS:
        language = None
        if p.eat("("):
            lang_start = p.pos
            while p.pos < len(text) and _is_ident_char(text[p.pos]):
                p.pos += 1
            language = text[lang_start : p.pos].strip()
            if not language or not p.eat(")"):
                raise _op_error(p, p.pos, False)
        if not p.eat("."):
            raise _op_error(p, p.pos, False)
        return OpExpr(negated, name, _single_value(p, in_logic), language=language)
    quant: Literal["any", "all"] | None = None
    if p.peek("(") and name in SIMPLE_OPS:
        p.pos += 1
        if p.eat("any)"):
            quant = "any"
        elif p.eat("all)"):
            quant = "all"
        else:
            raise _op_error(p, p.pos, False)
        if name not in QUANT_OPS:
            raise p.fail(f"operator {name} does not accept the {quant} modifier", start)
    if name not in SIMPLE_OPS:
        # Operators are lowercase words: "eqq." is an unknown operator, "EQ." or "0" no
        # operator at all, reported where it should start (PostgREST's wording for each).
        if name.isascii() and name.isalpha() and name.islower() and p.peek("."):
            raise p.fail(f"unknown single value operator {name}", i + 1)
        k = 0
        while k < len(name) and "a" <= name[k] <= "z":
            k += 1
        raise _op_error(p, start + k, first and k == 0)
    if not p.eat("."):
        p.fail_unexpected("delimiter (.)")
    return OpExpr(negated, name, _single_value(p, in_logic), quant=quant)


def _single_value(p: _Parser, in_logic: bool) -> str:
    text = p.text
    if not in_logic:
        value = text[p.pos :]
        p.pos = len(text)
        return value
    # inside and/or: a quoted value, a {pg,array} or anything up to ',' or ')'
    if p.peek('"'):
        mark = p.pos
        value = p.quoted()
        if p.at_end() or p.peek(",") or p.peek(")"):
            return value
        p.pos = mark
    if p.peek("{"):
        end = text.find("}", p.pos)
        inner = text[p.pos + 1 : end] if end >= 0 else ""
        if end >= 0 and "{" not in inner:
            value = text[p.pos : end + 1]
            p.pos = end + 1
            return value
    start = p.pos
    while p.pos < len(text) and text[p.pos] not in ",)":
        p.pos += 1
    return text[start : p.pos]


def _whole_list_value(p: _Parser) -> tuple[str, ...]:
    """`in.(a,"b,c",d)` as a whole parameter value: the list runs to the final ')', which
    must end the value, so nothing after it can be mistaken for part of the filter."""
    text = p.text
    p.ws()
    p.expect("(")
    end = len(text.rstrip(" \t"))
    if end <= p.pos or text[end - 1] != ")":
        p.pos = len(text)
        p.fail_unexpected('")"')
    inner = text[p.pos : end - 1]
    items: list[str] = []
    i = len(inner) - len(inner.lstrip(" \t"))  # lexeme '(' skips the blanks after it
    while True:
        j = i
        while j < len(inner) and inner[j] in " \t":
            j += 1
        if j < len(inner) and inner[j] == '"':
            sub = _Parser(p.what, inner)
            sub.pos = j
            try:
                quoted = sub.quoted()
            except GrammarError:
                quoted = None
            if quoted is not None:
                k = sub.pos
                while k < len(inner) and inner[k] in " \t":
                    k += 1
                if k == len(inner) or inner[k] == ",":
                    items.append(quoted)
                    if k == len(inner):
                        break
                    i = k + 1
                    continue
        comma = inner.find(",", i)
        if comma < 0:
            items.append(inner[i:])
            break
        items.append(inner[i:comma])
        i = comma + 1
    p.pos = len(text)
    return tuple(items)


def _list_value(p: _Parser) -> tuple[str, ...]:
    p.ws()
    p.expect("(")
    p.ws()
    items: list[str] = []
    text = p.text
    while True:
        value: str | None = None
        if p.peek('"'):
            mark = p.pos
            quoted = p.quoted()
            if p.peek(",") or p.peek(")"):
                value = quoted
            else:
                p.pos = mark
        if value is None:
            start = p.pos
            while p.pos < len(text) and text[p.pos] not in ",)":
                p.pos += 1
            value = text[start : p.pos]
        items.append(value)
        if p.eat(","):
            continue
        break
    p.ws()
    p.expect(")")
    p.ws()
    return tuple(items)


# --- logic trees --------------------------------------------------------------------------


def parse_logic_key(key: str) -> tuple[tuple[str, ...], bool, Literal["and", "or"]]:
    """`not.or`, `clients.or`, `clients.not.and` → (embed path, negated, operator)."""
    parts = key.split(".")
    op = parts[-1]
    if op not in ("and", "or"):
        raise GrammarError("logic path", key, 0, "expecting logic operator (and, or)")
    negated = "not" in parts[:-1]
    path = tuple(part for part in parts[:-1] if part != "not")
    return path, negated, op  # type: ignore[return-value]


def parse_logic_tree(negated: bool, op: Literal["and", "or"], text: str) -> LogicTree:
    # Parsed as "or(…)", like PostgREST, so that error columns match its messages.
    prefix = ("not." if negated else "") + op
    p = _Parser("logic tree", prefix + text, display=text)
    p.pos = len(prefix)
    p.ws()
    children = _logic_children(p, 0)
    if not p.at_end():
        p.fail_unexpected("end of input", single_quotes=True)
    return LogicTree(negated, op, children)


def _logic_children(p: _Parser, depth: int) -> tuple[LogicTree | Filter, ...]:
    if depth > MAX_DEPTH:
        raise p.fail(f"logic tree nesting deeper than {MAX_DEPTH}")
    p.ws()
    p.expect("(")
    p.ws()
    if p.at_end() or p.peek(")") or p.peek(","):
        p.fail_unexpected(
            "field name (* or [a..z0..9_$]), negation operator (not) or logic operator (and, or)"
        )
    items = [_logic_item(p, depth)]
    while True:
        p.ws()
        if p.eat(","):
            items.append(_logic_item(p, depth))
            continue
        break
    p.ws()
    p.expect(")")
    p.ws()
    return tuple(items)


def _logic_item(p: _Parser, depth: int) -> LogicTree | Filter:
    p.ws()
    mark = p.pos
    negated = p.eat("not.")
    op: Literal["and", "or"]
    for op in ("and", "or"):
        if p.eat(op):
            p.ws()
            if p.peek("("):
                children = _logic_children(p, depth + 1)
                return LogicTree(negated, op, children)
        p.pos = mark + (4 if negated else 0)
    if negated:
        word_end = p.pos
        while word_end < len(p.text) and _is_ident_char(p.text[word_end]):
            word_end += 1
        if p.text.startswith("(", word_end):
            p.fail_unexpected("logic operator (and, or)")
    p.pos = mark  # a filter, whose column may even be called "not"
    fld = p.field()
    p.expect(".")
    expr = _op_expr(p, in_logic=True)
    return Filter(fld, expr)


# --- order --------------------------------------------------------------------------------


def parse_order(text: str) -> tuple[OrderTerm, ...]:
    p = _Parser("order", text)
    terms = [_order_term(p)]
    while p.eat(","):
        terms.append(_order_term(p))
    if not p.at_end():
        p.fail_unexpected('delimiter (.), "," or end of input')
    return tuple(terms)


def _order_term(p: _Parser) -> OrderTerm:
    p.ws()
    name = p.field_name()
    relation: str | None = None
    if p.eat("("):
        relation = name
        fld = p.field()
        p.expect(")")
    else:
        fld = Field(name, p.json_path())
    direction: Literal["asc", "desc"] | None = None
    nulls: Literal["first", "last"] | None = None
    if p.eat(".asc"):
        direction = "asc"
    elif p.eat(".desc"):
        direction = "desc"
    if p.eat(".nullsfirst"):
        nulls = "first"
    elif p.eat(".nullslast"):
        nulls = "last"
    p.ws()
    if not (p.at_end() or p.peek(",")):
        if nulls is not None:
            p.fail_unexpected('"," or end of input', single_quotes=True)
        if direction is not None and not p.peek("."):
            p.fail_unexpected('delimiter (.), "," or end of input', single_quotes=True)
        if p.peek("."):
            p.pos += 1
            words = (
                ("nullsfirst", "nullslast")
                if direction is not None
                else ("asc", "desc", "nullsfirst", "nullslast")
            )
            raise p.fail(
                f"unexpected {_mismatch(p, words)} expecting " + _or_list([f'"{w}"' for w in words])
            )
        p.fail_unexpected('delimiter (.), "," or end of input', single_quotes=True)
    return OrderTerm(fld, direction, nulls, relation)


def _mismatch(p: _Parser, words: tuple[str, ...]) -> str:
    """Parsec reports the first character where the closest keyword stopped matching."""
    rest = p.text[p.pos :]
    common = max((len(_common_prefix(rest, w)) for w in words), default=0)
    return f'"{rest[common]}"' if common < len(rest) else "end of input"


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return a[:n]


def _or_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def parse_columns(text: str) -> tuple[str, ...]:
    p = _Parser("columns parameter", text)
    names = [p.field()]
    while p.eat(","):
        names.append(p.field())
    if not p.at_end() or any(f.json_path for f in names):
        p.fail_unexpected('"," or end of input')
    return tuple(f.name for f in names)

"""TypeScript source as prettier prints it (printWidth 80, semi: false), for gateway.typescript.

A small Wadler-style document printer (groups print flat when they fit, else break; a
group the template wrote expanded stays expanded, as prettier keeps an object with a
newline after `{`), the few TypeScript constructs a `Database` type needs, prettier's
quoting of strings and property keys, and JavaScript's localeCompare order. Pure.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Union

WIDTH = 80  # prettier's printWidth

# --- documents --------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    contents: Doc
    hard: bool = False  # the template had a newline after `{`: prettier keeps it expanded


@dataclass(frozen=True)
class Indent:
    contents: Doc


@dataclass(frozen=True)
class Line:
    soft: bool = False  # nothing when flat (else a space)
    hard: bool = False  # always a newline


@dataclass(frozen=True)
class IfBreak:
    broken: Doc
    flat: Doc = ""


Doc = Union[str, list["Doc"], Group, Indent, Line, IfBreak]  # noqa: UP007 (recursive alias)
LINE, SOFTLINE, HARDLINE = Line(), Line(soft=True), Line(hard=True)
_FLAT, _BREAK = False, True


def join(separator: Doc, docs: Iterable[Doc]) -> list[Doc]:
    out: list[Doc] = []
    for i, doc in enumerate(docs):
        if i:
            out.append(separator)
        out.append(doc)
    return out


def _propagate(doc: Doc) -> tuple[Doc, bool]:
    """Groups holding a hard line or a hard group are hard too (prettier's propagateBreaks)."""
    if isinstance(doc, list):
        parts = [_propagate(d) for d in doc]
        return [d for d, _ in parts], any(h for _, h in parts)
    if isinstance(doc, Group):
        inner, hard = _propagate(doc.contents)
        return Group(inner, doc.hard or hard), doc.hard or hard
    if isinstance(doc, Indent):
        inner, hard = _propagate(doc.contents)
        return Indent(inner), hard
    if isinstance(doc, Line):
        return doc, doc.hard
    return doc, False


_Cmd = tuple[int, bool, Doc]


def _fits(next_cmd: _Cmd, rest: list[_Cmd], width: int) -> bool:
    cmds = [next_cmd]
    rest_index = len(rest)
    while width >= 0:
        if not cmds:
            if rest_index == 0:
                return True
            rest_index -= 1
            cmds.append(rest[rest_index])
            continue
        ind, mode, doc = cmds.pop()
        if isinstance(doc, str):
            width -= len(doc)
        elif isinstance(doc, list):
            cmds.extend((ind, mode, d) for d in reversed(doc))
        elif isinstance(doc, Indent):
            cmds.append((ind + 2, mode, doc.contents))
        elif isinstance(doc, Group):
            cmds.append((ind, _BREAK if doc.hard else mode, doc.contents))
        elif isinstance(doc, IfBreak):
            cmds.append((ind, mode, doc.broken if mode == _BREAK else doc.flat))
        elif mode == _BREAK or doc.hard:
            return True
        elif not doc.soft:
            width -= 1
    return False


def render(doc: Doc) -> str:
    """Print `doc` as prettier's printDocToString does with printWidth 80."""
    doc, _ = _propagate(doc)
    out: list[str] = []
    pos = 0  # the column the next character lands on
    cmds: list[_Cmd] = [(0, _BREAK, doc)]
    while cmds:
        ind, mode, d = cmds.pop()
        if isinstance(d, str):
            out.append(d)
            pos += len(d)
        elif isinstance(d, list):
            cmds.extend((ind, mode, x) for x in reversed(d))
        elif isinstance(d, Indent):
            cmds.append((ind + 2, mode, d.contents))
        elif isinstance(d, Group):
            flat = (ind, _FLAT, d.contents)
            fits = not d.hard and (mode == _FLAT or _fits(flat, cmds, WIDTH - pos))
            cmds.append(flat if fits else (ind, _BREAK, d.contents))
        elif isinstance(d, IfBreak):
            cmds.append((ind, mode, d.broken if mode == _BREAK else d.flat))
        elif mode == _FLAT and not d.hard:
            out.append("" if d.soft else " ")
            pos += 0 if d.soft else 1
        else:
            _newline(out, ind)
            pos = ind
    return "".join(out)


def _newline(out: list[str], indent: int) -> None:
    while out and out[-1].endswith(" "):  # prettier trims trailing whitespace
        out[-1] = out[-1].rstrip(" ")
        if not out[-1]:
            out.pop()
    out.append("\n" + " " * indent)


# --- TypeScript syntax as prettier prints it ---------------------------------------------


@dataclass(frozen=True)
class TsType:
    """A type expression: a document plus what prettier's layout decisions need to know."""

    doc: Doc
    union: tuple[TsType, ...] = ()  # members, when this is a union
    is_object: bool = False

    def text(self) -> str:
        return render(self.doc)


def raw(text: str) -> TsType:
    return TsType(text)


def string_literal(value: str) -> str:
    """JSON.stringify, then prettier's quote preference (double unless it has more ")."""
    content = json.dumps(value, ensure_ascii=False)[1:-1]
    unescaped = content.replace('\\"', '"')
    if unescaped.count('"') > unescaped.count("'"):
        return "'" + unescaped.replace("'", "\\'") + "'"
    return '"' + content + '"'


def _is_identifier(name: str) -> bool:
    """An ES5 IdentifierName: `$`, `_` or a letter, then those or digits."""
    if not name or not (name[0] in "$_" or name[0].isalpha()):
        return False
    return all(ch in "$_" or ch.isalnum() for ch in name[1:])


def property_key(name: str) -> str:
    """Unquoted when an identifier (prettier's quoteProps as-needed), else a string."""
    return name if _is_identifier(name) else string_literal(name)


def member(name: str, value: TsType, *, optional: bool = False) -> Doc:
    return [property_key(name), "?" if optional else "", ": ", value.doc]


def obj(members: Sequence[Doc], *, hard: bool) -> TsType:
    if not members:
        return TsType("{}", is_object=True)
    body = Indent([LINE, *join([IfBreak("", ";"), LINE], members)])
    return TsType(Group(["{", body, LINE, "}"], hard), is_object=True)


def never_object() -> TsType:
    return TsType(
        Group(["{", Indent([LINE, "[_ in never]: never"]), LINE, "}"], True), is_object=True
    )


def union(types: Sequence[TsType]) -> TsType:
    members: list[TsType] = []
    for t in types:
        members.extend(t.union or (t,))
    if len(members) == 1:
        return members[0]
    plain = [m for m in members if m.doc != "null"]
    if len(plain) == 1 and plain[0].is_object:  # prettier hugs `{ … } | null`
        return TsType(join(" | ", [m.doc for m in members]), tuple(members))
    code = [IfBreak([LINE, "| "]), *join([LINE, "| "], [m.doc for m in members])]
    return TsType(Group(Indent(code)), tuple(members))


def array(element: TsType) -> TsType:
    if element.union:
        return TsType(["(", *join(" | ", [m.doc for m in element.union]), ")[]"])
    return TsType([element.doc, "[]"])


def nullable(t: TsType, is_nullable: bool) -> TsType:
    return union([t, raw("null")]) if is_nullable else t


def tuple_type(items: Sequence[Doc]) -> TsType:
    if not items:
        return raw("[]")
    body = Indent([SOFTLINE, *join([",", LINE], items)])
    return TsType(Group(["[", body, IfBreak(","), SOFTLINE, "]"]))


def array_literal(items: Sequence[str]) -> Doc:
    if not items:
        return "[]"
    body = Indent([SOFTLINE, *join([",", LINE], items)])
    return Group(["[", body, IfBreak(","), SOFTLINE, "]"])


def object_literal(members: Sequence[Doc], *, hard: bool) -> Doc:
    if not members:
        return "{}"
    return Group(["{", Indent([LINE, *join([",", LINE], members)]), IfBreak(","), LINE, "}"], hard)


def locale_key(name: str) -> tuple[tuple[tuple[int, str], ...], tuple[int, ...]]:
    """Sort key approximating JavaScript's localeCompare (ICU root collation).

    Whitespace < punctuation (`_` first, then `-`) < digits < letters; letters compare
    case-insensitively first, lowercase before uppercase only to break ties.
    """
    primary: list[tuple[int, str]] = []
    tertiary: list[int] = []
    for ch in name:
        folded = unicodedata.normalize("NFKD", ch.casefold())[:1] or ch
        if ch.isspace():
            primary.append((0, ch))
        elif ch.isdigit():
            primary.append((3, ch))
        elif ch.isalpha():
            primary.append((4, folded))
        else:
            primary.append((1, _PUNCTUATION.get(ch, ch)))
        tertiary.append(1 if ch.isupper() else 0)
    return tuple(primary), tuple(tertiary)


_PUNCTUATION = {c: chr(0x20 + i) for i, c in enumerate("_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$")}


def locale_sorted(names: Iterable[str]) -> list[str]:
    return sorted(names, key=locale_key)

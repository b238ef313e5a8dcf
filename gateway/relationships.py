"""Plan stage, embedding: which foreign key a `select=…,name(…)` follows. Pure.

PostgREST's rules (Plan.hs findRel): from the parent table, `name` is a table reached
through a foreign key in either direction (many-to-one, one-to-many; one-to-one when the
key's columns are unique), or through a junction table whose primary key holds both
foreign keys (many-to-many); a foreign key's constraint name or (single) column of the
parent names it too, in either direction, but only towards a table: relationships that
reach a view that way are left out. On a self-referencing key the table's own name is
the one-to-many side and the column the many-to-one side. `!hint` picks among several by
constraint, column (either side) or junction name. None: 400 PGRST200; several: 300
PGRST201, with PostgREST's details and hint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from gateway import errors
from gateway._fuzzy import best as fuzzy_best
from gateway.schema_cache import ForeignKey, Function, SchemaCache, Table

Cardinality = Literal["many-to-one", "one-to-many", "one-to-one", "many-to-many"]


@dataclass(frozen=True, slots=True)
class Relationship:
    cardinality: Cardinality
    parent: Table
    target: Table
    constraint: str
    # (parent column, target column) equalities; for many-to-many, (parent column,
    # junction column) and `through` holds (junction column, target column)
    columns: tuple[tuple[str, str], ...]
    junction: Table | None = None
    constraint2: str = ""
    through: tuple[tuple[str, str], ...] = ()
    function: Function | None = None  # a computed relationship: function(parent row)
    is_self: bool = False  # a foreign key from a table to itself

    @property
    def to_one(self) -> bool:
        return self.cardinality in ("many-to-one", "one-to-one")

    def describe(self) -> dict[str, str]:
        """One entry of PGRST201's details, as PostgREST's compressedRel."""
        p, t = self.parent.name, self.target.name
        if self.junction is not None:
            rel = (
                f"{self.junction.name} using {self.constraint}"
                f"({', '.join(j for _, j in self.columns)}) and {self.constraint2}"
                f"({', '.join(j for j, _ in self.through)})"
            )
        else:
            rel = (
                f"{self.constraint} using {p}({', '.join(a for a, _ in self.columns)}) and "
                f"{t}({', '.join(b for _, b in self.columns)})"
            )
        return {"cardinality": self.cardinality, "embedding": f"{p} with {t}", "relationship": rel}

    def hint_name(self) -> str:
        return self.junction.name if self.junction is not None else self.constraint


def _unique(cache: SchemaCache, table: Table, cols: tuple[str, ...]) -> bool:
    keys = cache.unique_keys.get((table.schema, table.name), ())
    return any(set(k) == set(cols) for k in keys) or (bool(table.pk) and set(table.pk) == set(cols))


def candidates(cache: SchemaCache, parent: Table) -> list[Relationship]:  # noqa: PLR0912
    """Every relationship from `parent` to a table of its schema."""
    out: list[Relationship] = []
    parent_key = (parent.schema, parent.name)
    by_table: dict[tuple[str, str], list[ForeignKey]] = {}
    for fk in cache.foreign_keys:
        by_table.setdefault(fk.table, []).append(fk)
    for fk in cache.foreign_keys:
        if fk.table == parent_key and fk.ref_table[0] == parent.schema:
            target = cache.tables.get(fk.ref_table)
            if target is not None:
                kind: Cardinality = (
                    "one-to-one" if _unique(cache, parent, fk.columns) else "many-to-one"
                )
                out.append(
                    Relationship(
                        kind,
                        parent,
                        target,
                        fk.name,
                        tuple(zip(fk.columns, fk.ref_columns, strict=True)),
                        is_self=fk.table == fk.ref_table,
                    )
                )
        if fk.ref_table == parent_key and fk.table[0] == parent.schema:
            target = cache.tables.get(fk.table)
            if target is not None:
                kind = "one-to-one" if _unique(cache, target, fk.columns) else "one-to-many"
                out.append(
                    Relationship(
                        kind,
                        parent,
                        target,
                        fk.name,
                        tuple(zip(fk.ref_columns, fk.columns, strict=True)),
                        is_self=fk.table == fk.ref_table,
                    )
                )
    for (schema, _name), fns in cache.functions.items():
        if schema != parent.schema:
            continue
        for fn in fns:
            if fn.arg_relation != parent_key or fn.ret_relation is None:
                continue
            target = cache.tables.get(fn.ret_relation)
            if target is None:
                continue
            one = not fn.returns_set or fn.rows == 1
            out.append(
                Relationship(
                    "many-to-one" if one else "one-to-many",
                    parent,
                    target,
                    fn.name,
                    (),
                    function=fn,
                )
            )
    for key, fks in by_table.items():
        junction = cache.tables.get(key)
        if junction is None or key[0] != parent.schema or not junction.pk:
            continue
        for fk1 in fks:
            if fk1.ref_table != parent_key or not set(fk1.columns) <= set(junction.pk):
                continue
            for fk2 in fks:
                if fk2 is fk1 or not set(fk2.columns) <= set(junction.pk):
                    continue
                target = cache.tables.get(fk2.ref_table)
                if target is None or fk2.ref_table[0] != parent.schema:
                    continue
                out.append(
                    Relationship(
                        "many-to-many",
                        parent,
                        target,
                        fk1.name,
                        tuple(zip(fk1.ref_columns, fk1.columns, strict=True)),
                        junction,
                        fk2.name,
                        tuple(zip(fk2.columns, fk2.ref_columns, strict=True)),
                        is_self=fk1.ref_table == fk2.ref_table,
                    )
                )
    # a computed relationship named like a table replaces the foreign keys to that table
    # (SchemaCache.hs getOverrideRelationshipsMap)
    computed = {(r.function.schema, r.function.name) for r in out if r.function is not None}
    return [
        r for r in out if r.function is not None or (r.target.schema, r.target.name) not in computed
    ]


def _single(rel: Relationship, side: int) -> str | None:
    """The parent's (side 0) or the target's (side 1) column of a one-column foreign key."""
    if rel.junction is not None or rel.function is not None or len(rel.columns) != 1:
        return None
    return rel.columns[0][side]


def _names(rel: Relationship, name: str) -> bool:
    """Whether `name(…)` without a hint means this relationship."""
    if rel.function is not None:
        return rel.function.name == name
    if rel.is_self:  # the table: its children; the column: its parent
        if rel.cardinality == "one-to-many":
            return rel.target.name == name
        return rel.cardinality == "many-to-one" and _single(rel, 0) == name
    if rel.target.name == name:
        return True
    if rel.junction is not None or rel.target.is_view:
        return False
    return name == rel.constraint or _single(rel, 0) == name


def _hinted(rel: Relationship, name: str, hint: str) -> bool:
    """Whether `name!hint(…)` means this relationship."""
    if rel.function is not None:  # a computed relationship is found by its name alone
        return rel.function.name == name
    if rel.target.name != name:
        return False
    if rel.is_self:
        return rel.cardinality == "one-to-many" and _single(rel, 1) == hint
    if rel.junction is not None:
        return hint == rel.junction.name
    return hint in (rel.constraint, _single(rel, 0), _single(rel, 1))


def find(cache: SchemaCache, parent: Table, name: str, hint: str | None) -> Relationship:
    every = candidates(cache, parent)
    if hint is None:
        found = [r for r in every if _names(r, name)]
    else:
        found = [r for r in every if _hinted(r, name, hint)]
    if len(found) == 1:
        return found[0]
    if not found:
        suggestion = None
        if hint is None:
            near = fuzzy_best(name, [r.target.name for r in every], 0.33)
            if near is not None and near != name:
                suggestion = f"Perhaps you meant '{near}' instead of '{name}'."
        err = errors.no_relationship(parent.name, name, parent.schema, suggestion)
        if hint is not None:
            err.details = (
                f"Searched for a foreign key relationship between '{parent.name}' "
                f"and '{name}' using the hint '{hint}' in the schema "
                f"'{parent.schema}', but no matches were found."
            )
        return _raise(err)
    options = ", ".join(f"'{r.target.name}!{r.hint_name()}'" for r in found)
    raise errors.ambiguous_relationship(
        parent.name,
        name,
        [r.describe() for r in found],
        f"Try changing '{name}' to one of the following: {options}. Find the desired "
        "relationship in the 'details' key.",
    )


def _raise(err: Any) -> Relationship:
    raise err

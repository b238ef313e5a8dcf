"""The `any`/`all` modifiers: one operator applied to a `{…}` list of values.

PostgREST docs (v12, "Operator Modifiers"): eq like ilike gt gte lt lte match imatch
accept (any) and (all); `?last_name=like(any).{O*,P*}`.
"""

from __future__ import annotations

import pytest

from tests.gateway.conftest import Gateway
from tests.gateway.spec._http import assert_rows, ids


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("id=eq(any).{3,5,7}", [3, 5, 7]),
        ("id=gt(all).{10,12}", [13, 14, 15]),
        ("id=lt(any).{2,3}", [1, 2]),
        ("id=gte(all).{14,1}", [14, 15]),
        ("id=lte(any).{1}", [1]),
        ("id=not.eq(any).{1,2,3,4,5,6,7,8,9,10,11,12,13}", [14, 15]),
    ],
)
def test_items_with_modifiers(api: Gateway, query: str, expected: list[int]) -> None:
    assert_rows(api.get(f"/items?{query}&order=id"), ids(*expected))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("name=like(any).{O*,*ee}", [1, 3]),
        ("name=like(all).{T*,*o}", [2]),
        ("name=ilike(any).{o*,t*}", [1, 2, 3]),
        ("name=ilike(all).{t*,*e}", [3]),
        ("name=match(any).{^O,^Tw}", [1, 2]),
        ("name=imatch(all).{^t,e$}", [3]),
    ],
)
def test_text_with_modifiers(api: Gateway, query: str, expected: list[int]) -> None:
    assert_rows(api.get(f"/complex_items?select=id&{query}&order=id"), ids(*expected))


def test_quoted_elements_in_modifier_list(api: Gateway) -> None:
    assert_rows(api.get('/special_chars?select=id&val=eq(any).{"a,b","a b"}&order=id'), ids(1, 10))

"""Prompt templates: rendering, input validation, sandbox, limits, and the messages rule."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ai.templates import (
    Limits,
    Mistyped,
    TemplateError,
    TemplateInputError,
    TemplateRenderError,
    TemplateSizeError,
    generation_params,
    prompt_messages,
    render,
    validate_inputs,
)

DECLARED = {
    "s": "string",
    "n": "number",
    "i": "integer",
    "b": "boolean",
    "a": "array",
    "o": "object",
}
GOOD: dict[str, Any] = {"s": "x", "n": 1.5, "i": 2.0, "b": True, "a": [1], "o": {"k": 1}}


def test_renders_every_type_without_escaping() -> None:
    text = render("{{ s }}|{{ n }}|{{ i }}|{{ b }}|{{ a[0] }}|{{ o.k }}|<&>", DECLARED, GOOD)
    assert text == "x|1.5|2|True|1|1|<&>"
    assert render("{{s}}", {"s": "string"}, {"s": "<b>"}) == "<b>"


def test_input_errors_list_every_problem() -> None:
    inputs = {"s": 1, "n": True, "i": 1.5, "b": "yes", "a": {}, "extra": 1}
    with pytest.raises(TemplateInputError) as caught:
        validate_inputs(DECLARED, inputs)
    error = caught.value
    assert error.missing == ["o"] and error.unknown == ["extra"]
    assert error.mistyped == [
        Mistyped("a", "array", "object"),
        Mistyped("b", "boolean", "string"),
        Mistyped("i", "integer", "number"),
        Mistyped("n", "number", "boolean"),
        Mistyped("s", "string", "number"),
    ]
    assert str(error).startswith(
        "invalid inputs: missing variables: o; unexpected variables: extra"
    )
    assert "s must be string (got number)" in error.message


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__ }}",
        "{{ s.__class__.__mro__ }}",
        "{{ a.append(1) }}",
        "{{ 'x' * 10000000 }}",
        "{{ 2 ** 1000 }}",
        "{{ 1 / 0 }}",
        "{{ undeclared }}",
        "{{ s",
        "{% for %}",
    ],
)
def test_bad_templates_are_clear_errors(template: str) -> None:
    with pytest.raises(TemplateRenderError) as caught:
        render(template, {"s": "string", "a": "array"}, {"s": "x", "a": []})
    assert caught.value.message


def test_arithmetic_within_bounds_still_works() -> None:
    assert render("{{ 'ab' * 2 }} {{ 2 ** 3 }} {{ 3 * 4 }}", {}, {}) == "abab 8 12"


def test_size_limits() -> None:
    small = Limits(template_chars=10, inputs_bytes=40, output_bytes=30)
    with pytest.raises(TemplateSizeError, match="template"):
        render("x" * 11, {}, {}, limits=small)
    with pytest.raises(TemplateSizeError, match="inputs"):
        render("{{ s }}", {"s": "string"}, {"s": "y" * 50}, limits=small)
    with pytest.raises(TemplateSizeError, match="rendered"):
        render("{{s*3}}", {"s": "string"}, {"s": "y" * 12}, limits=small)


@pytest.mark.parametrize(
    ("variables", "inputs"),
    [
        ({"s": "date"}, {"s": "x"}),
        ({"not an identifier": "string"}, {}),
        ({}, []),
        ({}, {"x": object()}),
    ],
)
def test_bad_declarations_and_non_json_inputs(variables: dict[str, str], inputs: Any) -> None:
    with pytest.raises(TemplateError):
        render("x", variables, inputs)


def test_messages_rule() -> None:
    assert prompt_messages("hello", {}) == [{"role": "user", "content": "hello"}]
    assert prompt_messages("hello", {"system": "be kind", "temperature": 0}) == [
        {"role": "system", "content": "be kind"},
        {"role": "user", "content": "hello"},
    ]
    assert generation_params({"system": "s", "temperature": 0}) == {"temperature": 0}


FRAGMENTS = [
    "{{",
    "}}",
    "{%",
    "%}",
    " s ",
    " n ",
    " x ",
    "|upper",
    "(",
    ")",
    "*",
    "**",
    "9",
    ".",
    "__class__",
    "for",
    " in ",
    "if",
    "endfor",
    "endif",
    "'",
    "range",
    "/",
    "0",
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(
    template=st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=3), max_size=12).map("".join),
    inputs=st.dictionaries(st.sampled_from(["s", "n", "x"]), json_values, max_size=3),
)
def test_random_templates_and_inputs_raise_only_template_errors(
    template: str, inputs: dict[str, Any]
) -> None:
    try:
        result = render(template, {"s": "string", "n": "number"}, inputs)
    except TemplateError as error:
        assert error.message
    else:
        assert isinstance(result, str)

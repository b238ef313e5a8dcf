"""Prompt templates: `{{ variable }}` rendering in Jinja2's sandbox, inputs checked first.

A stored prompt version has a template, declared variables
(`{"name": "string|number|integer|boolean|array|object"}`, the schema's format, see
deploy/app_prompt_variables.sql) and params. `render` validates the inputs against the
declaration with pydantic, then renders in an ImmutableSandboxedEnvironment with
StrictUndefined and no autoescaping (prompts are not HTML). Every failure is a
`TemplateError` carrying a readable message: callers answer 400, never 500.

Messages rule (`prompt_messages`): the rendered template is the user message; a string
`system` in the version's params becomes a system message before it, used literally
(it is not a template). `generation_params` is the params without `system`.
"""

from __future__ import annotations

import json
import operator
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import BaseModel, BeforeValidator, ConfigDict, Strict, ValidationError, create_model

from ai.types import JSON

KiB = 1024


@dataclass(frozen=True)
class Limits:
    template_chars: int = 100_000
    inputs_bytes: int = 256 * KiB  # the inputs as JSON
    output_bytes: int = 1024 * KiB  # the rendered text, UTF-8


DEFAULT_LIMITS = Limits()


class TemplateError(ValueError):
    """A prompt cannot be rendered: bad declaration, inputs, template or size."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TemplateSizeError(TemplateError):
    """A template, its inputs or its output is larger than the limits allow."""


class TemplateRenderError(TemplateError):
    """The template does not parse, breaks the sandbox or fails while rendering."""


@dataclass(frozen=True)
class Mistyped:
    name: str
    expected: str
    got: str


class TemplateInputError(TemplateError):
    """Inputs that do not match the declared variables; every problem is listed."""

    def __init__(
        self,
        missing: list[str] | None = None,
        unknown: list[str] | None = None,
        mistyped: list[Mistyped] | None = None,
    ) -> None:
        self.missing = missing or []
        self.unknown = unknown or []
        self.mistyped = mistyped or []
        problems = []
        if self.missing:
            problems.append("missing variables: " + ", ".join(self.missing))
        if self.unknown:
            problems.append("unexpected variables: " + ", ".join(self.unknown))
        if self.mistyped:
            problems.append(
                "wrong types: "
                + ", ".join(f"{m.name} must be {m.expected} (got {m.got})" for m in self.mistyped)
            )
        super().__init__("invalid inputs: " + "; ".join(problems))


def _integral(value: Any) -> Any:
    # JSON has one number type: 3.0 is an integer, as app.check_prompt_inputs says.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


_TYPES: dict[str, Any] = {
    "string": Annotated[str, Strict()],
    "number": Annotated[float, Strict()],
    "integer": Annotated[int, BeforeValidator(_integral), Strict()],
    "boolean": Annotated[bool, Strict()],
    "array": Annotated[list[Any], Strict()],
    "object": Annotated[dict[str, Any], Strict()],
}


def _json_type(value: Any) -> str:
    """The JSON type name of a Python value, as jsonb_typeof says it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list | tuple) else "object"


@lru_cache(maxsize=256)
def _inputs_model(declaration: tuple[tuple[str, str], ...]) -> type[BaseModel]:
    fields: dict[str, Any] = {name: (_TYPES[kind], ...) for name, kind in declaration}
    return create_model(
        "PromptInputs", __config__=ConfigDict(extra="forbid", strict=True), **fields
    )


def _declaration(variables: dict[str, str]) -> tuple[tuple[str, str], ...]:
    bad = [
        f"{name} ({kind})"
        for name, kind in sorted(variables.items())
        if not (isinstance(name, str) and name.isidentifier()) or kind not in _TYPES
    ]
    if bad:
        raise TemplateError(
            "invalid declarations: " + ", ".join(bad) + " (types are " + ", ".join(_TYPES) + ")"
        )
    return tuple(sorted(variables.items()))


def validate_inputs(
    variables: dict[str, str], inputs: dict[str, Any], *, limits: Limits = DEFAULT_LIMITS
) -> dict[str, Any]:
    """`inputs` checked against the declared `variables`; integers normalized.

    Raises TemplateInputError (listing every problem), TemplateSizeError or TemplateError.
    """
    if not isinstance(inputs, dict):
        raise TemplateError("inputs must be a JSON object of variable values")
    try:
        size = len(json.dumps(inputs, ensure_ascii=False, allow_nan=False).encode())
    except (TypeError, ValueError) as exc:
        raise TemplateError(f"inputs are not JSON: {exc}") from None
    if size > limits.inputs_bytes:
        raise TemplateSizeError(f"inputs are {size} bytes of JSON (limit {limits.inputs_bytes})")
    model = _inputs_model(_declaration(variables))
    try:
        return model.model_validate(inputs).model_dump()
    except ValidationError as exc:
        raise _input_error(variables, inputs, exc) from None


def _input_error(
    variables: dict[str, str], inputs: dict[str, Any], exc: ValidationError
) -> TemplateInputError:
    missing, unknown, mistyped = set(), set(), {}
    for error in exc.errors():
        name = str(error["loc"][0])
        if error["type"] == "missing":
            missing.add(name)
        elif error["type"] == "extra_forbidden":
            unknown.add(name)
        else:
            mistyped[name] = Mistyped(name, variables[name], _json_type(inputs[name]))
    return TemplateInputError(
        sorted(missing), sorted(unknown), [mistyped[k] for k in sorted(mistyped)]
    )


class _Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox, also refusing arithmetic that would allocate without bound."""

    intercepted_binops = frozenset({"*", "**"})
    max_items = 1_000_000

    def call_binop(
        self, context: jinja2.runtime.Context, operator_: str, left: Any, right: Any
    ) -> Any:
        if operator_ == "*":
            for seq, times in ((left, right), (right, left)):
                if (
                    isinstance(seq, str | list | tuple)
                    and isinstance(times, int)
                    and len(seq) * times > self.max_items
                ):
                    raise SecurityError("repetition too large")
            return operator.mul(left, right)
        if isinstance(right, int | float) and abs(right) > 100:
            raise SecurityError("exponent too large")
        return operator.pow(left, right)


_ENV = _Sandbox(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)


@lru_cache(maxsize=512)
def _compile(template: str) -> jinja2.Template:
    return _ENV.from_string(template)


def render(
    template: str,
    variables: dict[str, str],
    inputs: dict[str, Any],
    *,
    limits: Limits = DEFAULT_LIMITS,
) -> str:
    """The template rendered with the validated inputs. Raises only TemplateError."""
    if len(template) > limits.template_chars:
        raise TemplateSizeError(
            f"template is {len(template)} characters (limit {limits.template_chars})"
        )
    values = validate_inputs(variables, inputs, limits=limits)
    try:
        compiled = _compile(template)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateRenderError(
            f"template syntax error on line {exc.lineno}: {exc.message}"
        ) from None
    return _generate(compiled, values, limits.output_bytes)


def _generate(compiled: jinja2.Template, values: dict[str, Any], limit: int) -> str:
    parts: list[str] = []
    size = 0
    try:
        for chunk in compiled.generate(values):
            size += len(chunk.encode())
            if size > limit:  # stop early: a loop could otherwise fill memory
                raise TemplateSizeError(f"rendered prompt exceeds {limit} bytes")
            parts.append(chunk)
    except TemplateError:
        raise
    except SecurityError as exc:
        raise TemplateRenderError(f"template not allowed: {exc}") from None
    except jinja2.UndefinedError as exc:
        raise TemplateRenderError(f"template error: {exc.message}") from None
    # A template is user code: any failure in it (1/0, bad filter arguments, recursion)
    # is the template's fault, reported as such rather than escaping as a server error.
    except Exception as exc:
        raise TemplateRenderError(f"template failed: {type(exc).__name__}: {exc}") from None
    return "".join(parts)


def prompt_messages(rendered: str, params: JSON) -> list[JSON]:
    """The chat messages of a rendered prompt: optional system message, then the user's."""
    messages: list[JSON] = []
    system = params.get("system")
    if isinstance(system, str) and system:
        messages.append({"role": "system", "content": system})
    messages.append({"role": "user", "content": rendered})
    return messages


def generation_params(params: JSON) -> JSON:
    """A version's params as sent to a provider: `system` went into the messages."""
    return {k: v for k, v in params.items() if k != "system"}

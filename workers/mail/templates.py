"""Render account mail from the files in workers/mail/templates: subject, text and HTML.

Each template `<name>` has `<name>.subject`, `<name>.txt` and `<name>.html` (which may
extend `_layout.html`). The HTML environment autoescapes, so a workspace or person's name
can never inject markup; the subject and text are plain text and are not escaped. The
one-time link is `{public_url}{path}?token=<token, URL-encoded>`; the templates get it as
`link`, the expiry as a readable `expires`, and the message's data keys as they are
(missing optional keys are None: the templates decide what to say without them).
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2

TEMPLATE_DIR = Path(__file__).parent / "templates"

# Where each template's link leads (the client app serves these pages), and the data keys
# its text may use; app.queue_mail insists on token and expires_at (and new_email).
ROUTES: dict[str, str] = {
    "invitation": "/accept-invitation",
    "verify_email": "/verify-email",
    "email_change": "/confirm-email-change",
    "password_reset": "/reset-password",
}
KEYS: dict[str, tuple[str, ...]] = {
    "invitation": ("token", "expires_at", "workspace_name", "inviter_name", "role"),
    "verify_email": ("token", "expires_at", "name"),
    "email_change": ("token", "expires_at", "name", "new_email"),
    "password_reset": ("token", "expires_at", "name"),
}


class MailTemplateError(ValueError):
    """The message cannot be rendered (unknown template, no token): it will never be."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    link: str


@functools.cache
def _environment(autoescape: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        # Off only for the subject and the text part, which are plain text, not HTML.
        autoescape=autoescape,  # noqa: S701
        undefined=jinja2.StrictUndefined,  # a typo in a template fails its tests, not silently
        keep_trailing_newline=True,
        trim_blocks=True,
    )


def link(public_url: str, template: str, token: str) -> str:
    """The page of the client app that takes this token, with the token URL-encoded."""
    return f"{public_url.rstrip('/')}{ROUTES[template]}?token={quote(token, safe='')}"


def readable_time(value: Any) -> str | None:
    """An ISO timestamp as '2026-12-10 14:30 UTC'; anything else as it came (or None)."""
    if value in (None, ""):
        return None
    try:
        moment = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def render(template: str, data: dict[str, Any], public_url: str) -> Rendered:
    if template not in ROUTES:
        raise MailTemplateError(f"mail template {template!r} is not known")
    token = data.get("token")
    if not isinstance(token, str) or not token:
        raise MailTemplateError(f"the {template} message has no token (already delivered?)")
    context: dict[str, Any] = {key: data.get(key) for key in KEYS[template]}
    context["link"] = link(public_url, template, token)
    context["expires"] = readable_time(data.get("expires_at"))
    text_env, html_env = _environment(False), _environment(True)
    # One line, whatever a name holds: a header cannot be split by what users typed.
    subject = " ".join(text_env.get_template(f"{template}.subject").render(context).split())
    context["subject"] = subject
    return Rendered(
        subject=subject,
        text=text_env.get_template(f"{template}.txt").render(context),
        html=html_env.get_template(f"{template}.html").render(context),
        link=context["link"],
    )

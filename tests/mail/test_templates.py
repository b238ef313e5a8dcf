"""Rendering account mail: every template's three parts, links, escaping, refusals."""

from __future__ import annotations

from typing import Any

import pytest

from workers.mail.templates import KEYS, ROUTES, MailTemplateError, readable_time, render

DATA: dict[str, dict[str, Any]] = {
    "invitation": {
        "token": "tok-1",
        "expires_at": "2026-12-10T12:30:00+00:00",
        "workspace_name": "Acme",
        "inviter_name": "Alice",
        "role": "admin",
    },
    "verify_email": {"token": "tok-2", "expires_at": "2026-12-10T12:30:00Z", "name": "Bob"},
    "email_change": {
        "token": "tok-3",
        "expires_at": "2026-12-10T12:30:00Z",
        "name": "Bob",
        "new_email": "bob@new.example",
    },
    "password_reset": {"token": "tok-4", "expires_at": "2026-12-10T12:30:00Z", "name": "Bob"},
}


@pytest.mark.parametrize("template", sorted(ROUTES))
def test_every_template_renders_its_link_in_both_parts(template: str) -> None:
    rendered = render(template, DATA[template], "https://app.example.com/")
    token = DATA[template]["token"]
    assert rendered.link == f"https://app.example.com{ROUTES[template]}?token={token}"
    assert rendered.link in rendered.text
    assert f'href="{rendered.link}"' in rendered.html
    assert "2026-12-10 12:30 UTC" in rendered.text
    assert rendered.subject and "\n" not in rendered.subject
    assert set(KEYS[template]) >= set(DATA[template])


def test_the_invitation_names_the_workspace_the_inviter_and_the_role() -> None:
    rendered = render("invitation", DATA["invitation"], "https://app.example.com")
    assert rendered.subject == "Alice invited you to Acme on Taproot"
    assert "join Acme on Taproot as admin" in rendered.text
    assert "/accept-invitation?token=tok-1" in rendered.html


def test_optional_keys_may_be_missing() -> None:
    rendered = render("invitation", {"token": "t", "expires_at": None}, "http://localhost:3000")
    assert rendered.subject == "Someone invited you to a workspace on Taproot"
    assert "expires" not in rendered.text
    hello = render("password_reset", {"token": "t", "expires_at": "soon"}, "http://localhost:3000")
    assert hello.text.startswith("Hello,\n")
    assert "expires soon" in hello.text


def test_the_email_change_mail_names_the_new_address() -> None:
    rendered = render("email_change", DATA["email_change"], "https://app.example.com")
    assert "bob@new.example" in rendered.text
    assert "<strong>bob@new.example</strong>" in rendered.html
    assert "/confirm-email-change?token=tok-3" in rendered.text


def test_the_token_is_url_encoded() -> None:
    rendered = render("verify_email", {"token": "a b+/c&d=e", "expires_at": ""}, "http://h")
    assert rendered.link == "http://h/verify-email?token=a%20b%2B%2Fc%26d%3De"


def test_html_escapes_what_people_typed_and_text_keeps_it_literal() -> None:
    hostile = {
        **DATA["invitation"],
        "workspace_name": '<script>alert("x")</script>',
        "inviter_name": "Eve & <b>co</b>\nBcc: victim@example.com",
    }
    rendered = render("invitation", hostile, "https://app.example.com")
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in rendered.html
    assert "Eve &amp; &lt;b&gt;co&lt;/b&gt;" in rendered.html
    assert '<script>alert("x")</script>' in rendered.text  # plain text is not HTML
    # a name cannot split the subject into a second header line
    assert "\n" not in rendered.subject
    assert rendered.subject.startswith("Eve & <b>co</b> Bcc: victim@example.com invited you")


def test_unknown_templates_and_missing_tokens_are_refused() -> None:
    with pytest.raises(MailTemplateError, match="'newsletter' is not known"):
        render("newsletter", {"token": "t"}, "http://h")
    with pytest.raises(MailTemplateError, match="has no token"):
        render("verify_email", {"expires_at": "x"}, "http://h")


def test_readable_time() -> None:
    assert readable_time("2026-12-10T13:30:00+01:00") == "2026-12-10 12:30 UTC"
    assert readable_time("2026-12-10T12:30:00") == "2026-12-10 12:30 UTC"
    assert readable_time("tomorrow") == "tomorrow"
    assert readable_time(None) is None
    assert readable_time("") is None

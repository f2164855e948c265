"""EmailMessage: what it refuses (header injection) and what it keeps (an immutable copy)."""

from __future__ import annotations

import pytest

from luneo.workers.emails.message import Address, EmailMessage


def message(**changes: object) -> EmailMessage:
    fields: dict[str, object] = {
        "sender": Address("no-reply@example.com", "Luneo"),
        "to": Address("ada@example.org", "Ada Lovelace"),
        "subject": "Welcome",
        "html": "<p>Hi</p>",
        "text": "Hi",
        "message_id": "<5b1c2a8e-43f1-4e51-9d07-9e7b3c1a0f00@example.com>",
        "idempotency_key": "welcome/42",
        "headers": {"List-Unsubscribe": "<https://example.com/u/1>"},
        "reply_to": None,
        "tags": ("welcome",),
    }
    fields.update(changes)
    return EmailMessage(**fields)  # type: ignore[arg-type]


def test_a_plain_message_is_accepted_as_given() -> None:
    m = message()
    assert m.subject == "Welcome"
    assert dict(m.headers) == {"List-Unsubscribe": "<https://example.com/u/1>"}
    assert m.tags == ("welcome",)
    assert m.sender.domain == "example.com"


@pytest.mark.parametrize("bad", ["Hi\r\nBcc: victim@example.net", "Hi\nBcc: x@y", "Hi\rX", "Hi\0"])
def test_line_breaks_in_the_subject_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="the subject must not contain a line break"):
        message(subject=bad)


@pytest.mark.parametrize(
    ("field", "value", "what"),
    [
        (
            "headers",
            {"List-Unsubscribe": "<https://x>\r\nBcc: victim@example.net"},
            "List-Unsubscribe header",
        ),
        ("headers", {"X-Tag": "a\nb"}, "X-Tag header"),
        ("message_id", "<a@b>\r\nBcc: x@y", "message id"),
        ("idempotency_key", "k\n1", "idempotency key"),
        ("tags", ("ok", "bad\r\n"), "tag"),
    ],
)
def test_line_breaks_anywhere_a_header_is_made_from_are_refused(field: str, value: object, what: str) -> None:
    with pytest.raises(ValueError, match=f"{what} must not contain a line break"):
        message(**{field: value})


@pytest.mark.parametrize("name", ["Ada\r\nBcc: victim@example.net", "Ada\n"])
def test_line_breaks_in_a_display_name_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="display name must not contain a line break"):
        Address("ada@example.org", name)


@pytest.mark.parametrize("email", ["ada@example.org\r\nBcc: x@y", "no-at-sign", "ada @example.org"])
def test_an_address_must_look_like_one(email: str) -> None:
    with pytest.raises(ValueError, match="line break|not an email address"):
        Address(email)


@pytest.mark.parametrize("value", ["5b1c@example.com", "<no-domain>", "<a@b> trailing", "<a b@c>"])
def test_the_message_id_is_a_full_msg_id(value: str) -> None:
    with pytest.raises(ValueError, match="must look like <unique@domain>"):
        message(message_id=value)


@pytest.mark.parametrize("name", ["Subject", "from", "Message-ID", "Content-Type", "BCC", "Reply-To"])
def test_extra_headers_cannot_replace_the_message_own(name: str) -> None:
    with pytest.raises(ValueError, match="comes from the message's own fields"):
        message(headers={name: "x"})


@pytest.mark.parametrize("name", ["Bad Name", "Bad:Name", "", "Nön-ASCII"])
def test_extra_header_names_are_field_names(name: str) -> None:
    with pytest.raises(ValueError, match="not a header name"):
        message(headers={name: "x"})


def test_the_same_header_twice_in_another_case_is_refused() -> None:
    with pytest.raises(ValueError, match="given twice"):
        message(headers={"X-Campaign": "a", "x-campaign": "b"})


def test_an_empty_idempotency_key_is_refused() -> None:
    with pytest.raises(ValueError, match="idempotency key must not be empty"):
        message(idempotency_key=" ")


def test_the_message_keeps_its_own_copy_of_the_headers() -> None:
    headers = {"List-Unsubscribe": "<https://example.com/u/1>"}
    m = message(headers=headers, tags=["a", "b"])
    headers["Bcc"] = "victim@example.net"  # a later change by the caller changes nothing
    assert dict(m.headers) == {"List-Unsubscribe": "<https://example.com/u/1>"}
    assert m.tags == ("a", "b")
    with pytest.raises(TypeError):
        m.headers["X"] = "y"  # type: ignore[index]

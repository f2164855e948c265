"""Passwords in URLs: found in every form libpq may quote, even in a URL that does not parse."""

from __future__ import annotations

import pytest

from luneo.core import db


def test_redact_leaves_an_empty_password_alone() -> None:
    url = "postgresql://postgres:@/postgres?host=/tmp/x&port=5432"
    assert db.redact(url) == url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p%zzw@h/d", {"p%zzw"}),
        ("postgresql://u:a%40b@h/d", {"a%40b", "a@b"}),
        ("postgresql://u@h/d?password=x%2Fy", {"x%2Fy", "x/y"}),
        ("host=h password='a b' dbname=d", {"a b"}),
        ("postgresql://u@h/d", set()),
    ],
)
def test_passwords_raw_and_decoded(url: str, expected: set[str]) -> None:
    assert db.passwords(url) == expected


def test_scrub_removes_the_url_and_every_form_of_its_password() -> None:
    url = "postgresql://u:a%40b@[::1/d"
    message = f'bad URI: "{url}"; token "a%40b"; user a@b'
    assert db.scrub(message, url) == 'bad URI: "postgresql://u:***@[::1/d"; token "***"; user ***'

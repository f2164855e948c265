"""The transactional emails, rendered for real: every template in both languages, the data
contract (a missing key is an error, never a blank), escaping, hostile branding, Babel's money
and dates, the locale fallback and one-line subjects."""

# The French copy is typeset: its apostrophes, minus and multiplication signs are meant.
# ruff: noqa: RUF001

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from babel.numbers import format_currency

from luneo.workers.emails import formats
from luneo.workers.emails.branding import DEFAULT_COLOR
from luneo.workers.emails.render import (
    LOCALES,
    TEMPLATES,
    RenderedEmail,
    TemplateDataError,
    TemplateError,
    UnknownTemplateError,
    locale_for,
    render,
    sample_data,
)

EVERY = [(t, loc) for t in TEMPLATES for loc in LOCALES]
TAG = re.compile(r"</?[a-zA-Z!][^>]*>")
NNBSP, NBSP = "\u202f", "\u00a0"  # Babel's French group separator, and the space before "€"

# one sentence of each French email, as a French reader sees it
FRENCH = {
    "invitation": "vous invite à rejoindre Maison Aurore sur Luneo",
    "welcome": "Votre compte est prêt.",
    "order_confirmation": "Nous avons bien reçu votre commande LUN-2026-000042",
    "order_shipped": "vient d’être expédiée",
    "payment_failed": "Nous n’avons pas pu traiter votre paiement",
    "webhook_endpoint_disabled": "nous avons cessé d’envoyer des événements",
    "subscription_trial_ending": "La période d’essai gratuite de l’offre Pro",
    "account_erasure_confirmation": "votre compte Luneo a été supprimé le 30 novembre 2026",
}


def data_with(template: str, **changes: Any) -> dict[str, Any]:
    return sample_data(template) | changes


def test_the_public_names() -> None:
    assert TEMPLATES == (
        "invitation",
        "welcome",
        "order_confirmation",
        "order_shipped",
        "payment_failed",
        "webhook_endpoint_disabled",
        "subscription_trial_ending",
        "account_erasure_confirmation",
    )
    assert LOCALES == ("en", "fr")
    assert issubclass(UnknownTemplateError, TemplateError)
    assert issubclass(TemplateDataError, TemplateError)


@pytest.mark.parametrize(("template", "locale"), EVERY)
def test_every_template_renders_in_both_languages(template: str, locale: str) -> None:
    email = render(template, locale, sample_data(template))
    assert isinstance(email, RenderedEmail)
    assert email.subject.strip() == email.subject != ""
    assert "\n" not in email.subject
    assert "\r" not in email.subject
    assert 'style="' in email.html  # the CSS was inlined
    assert "<script" not in email.html.lower()
    assert "<link" not in email.html.lower()
    assert "@import" not in email.html
    assert "max-width: 600px" in email.html
    assert f'<html lang="{locale}">' in email.html
    assert f"<title>{email.subject}</title>" in email.html.replace("&nbsp;", NBSP)
    assert email.text.strip()
    assert not TAG.search(email.text), TAG.findall(email.text)
    assert "{{" not in email.text + email.html
    assert "{%" not in email.text + email.html


@pytest.mark.parametrize("template", TEMPLATES)
def test_french_is_french_and_english_is_english(template: str) -> None:
    french = render(template, "fr", sample_data(template))
    english = render(template, "en", sample_data(template))
    assert FRENCH[template] in french.text
    assert FRENCH[template] in french.html
    assert FRENCH[template] not in english.text
    assert french.subject != english.subject
    assert french.text.splitlines()[2].startswith("Bonjour")
    assert english.text.splitlines()[2].startswith("Hello")


@pytest.mark.parametrize("template", TEMPLATES)
def test_french_typography_no_plain_space_before_a_colon(template: str) -> None:
    email = render(template, "fr", sample_data(template))
    words = re.sub(r"<style.*?</style>|<[^>]*>", "", email.html, flags=re.DOTALL)
    for part in (email.subject, email.text, words):
        assert not re.search(r" [:;!?»]|« ", part)


# -- the data contract ------------------------------------------------------------------------------


def _every_key() -> list[tuple[str, str]]:
    return [(template, key) for template in TEMPLATES for key in sample_data(template)]


@pytest.mark.parametrize(("template", "key"), _every_key())
@pytest.mark.parametrize("locale", LOCALES)
def test_each_missing_key_is_an_error_naming_it(template: str, key: str, locale: str) -> None:
    data = sample_data(template)
    del data[key]
    with pytest.raises(TemplateDataError) as raised:
        render(template, locale, data)
    message = str(raised.value)
    assert message.startswith(f"{template} ({locale}): ")
    assert f"'{key}'" in message


@pytest.mark.parametrize(
    ("template", "path"),
    [
        ("order_confirmation", ("order", "items")),
        ("order_confirmation", ("order", "currency")),
        ("order_confirmation", ("order", "total_amount")),
        ("order_shipped", ("order", "placed_at")),
        ("webhook_endpoint_disabled", ("endpoint", "url")),
        ("webhook_endpoint_disabled", ("endpoint", "description")),
        ("invitation", ("recipient", "name")),
        ("invitation", ("organization", "name")),
    ],
)
def test_a_missing_nested_key_is_named_by_its_path(template: str, path: tuple[str, str]) -> None:
    data = sample_data(template)
    del data[path[0]][path[1]]
    with pytest.raises(TemplateDataError, match=re.escape(f"'{path[0]}.{path[1]}' is undefined")):
        render(template, "fr", data)


def test_a_key_missing_in_a_list_item_is_named_with_its_index() -> None:
    data = sample_data("order_confirmation")
    del data["order"]["items"][1]["total"]
    with pytest.raises(TemplateDataError, match=re.escape("'order.items[1].total' is undefined")):
        render("order_confirmation", "en", data)


def test_dots_read_keys_never_dict_methods() -> None:
    """`order.items` is the key: with it missing, Jinja would otherwise find `dict.items`."""
    data = sample_data("order_confirmation")
    data["order"]["items"] = [{"name": "Étui", "quantity": 1, "unit_price": 5000, "total": 5000}]
    email = render("order_confirmation", "en", data)
    assert "Étui" in email.text
    assert "Carré" not in email.text


def test_a_required_value_given_as_null_is_an_error_not_none() -> None:
    with pytest.raises(TemplateDataError, match=r"invitation \(en\): .*null.*accept_url"):
        render("invitation", "en", data_with("invitation", accept_url=None))


def test_values_of_the_wrong_type_are_data_errors() -> None:
    order = sample_data("order_confirmation")["order"] | {"total_amount": 1609.2}
    with pytest.raises(
        TemplateDataError, match=r"order_confirmation \(en\): .*integer of minor units, got 1609.2"
    ):
        render("order_confirmation", "en", data_with("order_confirmation", order=order))
    order = sample_data("order_confirmation")["order"] | {"items": None}
    with pytest.raises(TemplateDataError, match=r"order_confirmation \(fr\): data of the wrong shape"):
        render("order_confirmation", "fr", data_with("order_confirmation", order=order))


def test_a_date_that_is_not_iso_8601_is_a_data_error() -> None:
    with pytest.raises(TemplateDataError, match=r"\(fr\): 'tomorrow' is not an ISO 8601"):
        render(
            "account_erasure_confirmation",
            "fr",
            data_with("account_erasure_confirmation", erased_at="tomorrow"),
        )


def test_unknown_templates_are_refused_with_the_list() -> None:
    with pytest.raises(UnknownTemplateError, match="'newsletter'; known: invitation, welcome, "):
        render("newsletter", "en", {})
    with pytest.raises(UnknownTemplateError):
        sample_data("newsletter")


def test_sample_data_is_a_fresh_copy_each_time() -> None:
    first = sample_data("order_confirmation")
    first["order"]["items"].clear()
    assert sample_data("order_confirmation")["order"]["items"]


# -- escaping and hostile data -----------------------------------------------------------------------


def test_html_is_escaped_in_the_html_part_and_verbatim_in_the_text() -> None:
    script = "<script>alert(1)</script>"
    data = data_with("invitation", inviter_name=script, role=f'"><img src=x onerror=alert(1)>{script}')
    data["organization"] = {"name": f"Dior & {script}", "branding": {}}
    email = render("invitation", "en", data)
    assert "<script" not in email.html
    assert "<img src=x" not in email.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in email.html
    assert "Dior &amp; &lt;script&gt;" in email.html
    assert f"{script} has invited you" in email.text
    assert f"Dior & {script}" in email.text


def _poisoned(node: Any) -> Any:
    """Every string of the data with markup appended, but for currencies and timestamps (which
    must stay valid to render at all)."""
    if isinstance(node, dict):
        return {k: v if k == "currency" else _poisoned(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_poisoned(v) for v in node]
    if isinstance(node, str):
        try:
            datetime.fromisoformat(node)
        except ValueError:
            return node + "<b>x</b>"
    return node


class _Elements(HTMLParser):
    """The tags of a document as a browser parses it, and its text and attribute values."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.values: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.values += [value for _, value in attrs if value]

    def handle_data(self, data: str) -> None:
        self.values.append(data)


@pytest.mark.parametrize(("template", "locale"), EVERY)
def test_no_data_ever_reaches_the_html_as_markup(template: str, locale: str) -> None:
    email = render(template, locale, _poisoned(sample_data(template)))
    parsed = _Elements(email.html)
    assert "b" not in parsed.tags  # escaped in text, quoted in attributes: never an element
    assert any("<b>x</b>" in value for value in parsed.values)  # yet shown as written
    assert "<b>x</b>" in email.text


def test_hostile_branding_is_ignored() -> None:
    data = sample_data("order_shipped")
    data["organization"]["branding"] = {
        "primary_color": "red;background:url(https://evil.example/x)",
        "logo_url": "javascript:alert(1)",
        "custom_css": "body{display:none}",
    }
    email = render("order_shipped", "en", data)
    assert "evil.example" not in email.html
    assert "red;" not in email.html
    assert "javascript:" not in email.html
    assert "<img" not in email.html
    assert "display:none}" not in email.html
    assert f"border-top: 4px solid {DEFAULT_COLOR}" in email.html
    assert ">Maison Aurore</span>" in email.html  # the name stands in for the refused logo


@pytest.mark.parametrize(
    "color", ["#abc", "#aabbcc\n", "#aabbccdd", "aabbcc", "#gghhii", "rgb(1,2,3)", 123, None]
)
def test_only_a_hex_rrggbb_colour_is_used(color: object) -> None:
    data = sample_data("welcome")
    data["organization"] = {"name": "Maison Aurore", "branding": {"primary_color": color}}
    email = render("welcome", "en", data)
    assert f"background-color: {DEFAULT_COLOR}" in email.html


@pytest.mark.parametrize(
    "logo",
    [
        "http://cdn.example/logo.png",
        "HTTPS://cdn.example/logo.png",
        "data:image/svg+xml;base64,PHN2Zz4=",
        " https://cdn.example/logo.png",
        'https://cdn.example/logo.png" onerror="alert(1)',
        "https://cdn.example/logo.png\nX-Header: 1",
        42,
    ],
)
def test_only_an_https_logo_is_used(logo: object) -> None:
    data = sample_data("welcome")
    data["organization"] = {"name": "Maison Aurore", "branding": {"logo_url": logo}}
    assert "<img" not in render("welcome", "en", data).html


def test_a_valid_brand_is_worn() -> None:
    data = sample_data("invitation")
    data["organization"]["branding"] = {"primary_color": "#F0E6D2", "logo_url": "https://cdn.example/a.svg"}
    email = render("invitation", "fr", data)
    assert 'src="https://cdn.example/a.svg"' in email.html
    assert 'alt="Maison Aurore"' in email.html
    assert "background-color: #F0E6D2" in email.html
    assert f"color: {DEFAULT_COLOR}" in email.html  # dark text on the light button
    assert email.text.startswith("Maison Aurore\n")


def test_a_quote_in_an_https_logo_stays_inside_the_attribute() -> None:
    data = sample_data("welcome")
    data["organization"] = {
        "name": "M",
        "branding": {"logo_url": 'https://cdn.example/a.png"onerror="alert(1)'},
    }
    html = render("welcome", "en", data).html
    assert "<img" in html
    assert '"onerror="' not in html
    assert " onerror=" not in html


@pytest.mark.parametrize("branding", [{}, None, "not an object", ["#123456"]])
def test_missing_or_malformed_branding_uses_the_defaults(branding: object) -> None:
    data = sample_data("payment_failed")
    data["organization"] = {"name": "Maison Aurore", "branding": branding}
    if branding is None:
        del data["organization"]["branding"]
    email = render("payment_failed", "en", data)
    assert f"border-top: 4px solid {DEFAULT_COLOR}" in email.html
    assert "<img" not in email.html


@pytest.mark.parametrize(("template", "locale"), [("welcome", "en"), ("account_erasure_confirmation", "fr")])
def test_account_level_emails_are_signed_luneo(template: str, locale: str) -> None:
    email = render(template, locale, sample_data(template))
    assert ">Luneo</span>" in email.html
    assert email.text.startswith("Luneo\n")


def test_the_erasure_confirmation_links_nowhere() -> None:
    for locale in LOCALES:
        email = render("account_erasure_confirmation", locale, sample_data("account_erasure_confirmation"))
        assert "<a " not in email.html
        assert "http" not in email.text


def test_the_unsubscribe_link_only_when_there_is_one() -> None:
    url = "https://app.luneo.example/u?t=1&x=2"
    with_link = render("order_shipped", "fr", data_with("order_shipped", unsubscribe_url=url))
    assert '<a href="https://app.luneo.example/u?t=1&amp;x=2"' in with_link.html
    assert "Se désabonner de ces e-mails" in with_link.html
    assert f"Se désabonner de ces e-mails{NBSP}: {url}" in with_link.text
    without = render("order_shipped", "en", sample_data("order_shipped"))
    assert "nsubscribe" not in without.html + without.text


# -- what each template shows -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "english", "french"),
    [
        ("admin", "Admin", "Administrateur"),
        ("viewer", "Viewer", "Lecteur"),
        ("Studio lead", "Studio lead", "Studio lead"),
    ],
)
def test_roles_are_labelled_in_the_reader_language(role: str, english: str, french: str) -> None:
    data = data_with("invitation", role=role)
    assert f"with the {english} role" in render("invitation", "en", data).text
    assert f"avec le rôle «{NBSP}{french}{NBSP}»" in render("invitation", "fr", data).text


def test_an_invitation_without_an_inviter() -> None:
    data = data_with("invitation", inviter_name=None)
    assert render("invitation", "en", data).subject == "Your invitation to join Maison Aurore on Luneo"
    assert "Vous êtes invité à rejoindre Maison Aurore" in render("invitation", "fr", data).text


def test_order_shipped_without_carrier_or_tracking() -> None:
    data = data_with("order_shipped", carrier=None, tracking_number=None, tracking_url=None)
    for locale, words in (
        ("en", ("Carrier", "Tracking", "Track")),
        ("fr", ("Transporteur", "suivi", "Suivre")),
    ):
        email = render("order_shipped", locale, data)
        for word in words:
            assert word not in email.text
            assert word not in email.html
        assert "None" not in email.text + email.html


def test_an_order_summary_adds_up_in_the_reader_language() -> None:
    french = render("order_confirmation", "fr", sample_data("order_confirmation")).text
    assert f"Remise{NBSP}: −149,00{NBSP}€" in french
    assert f"Livraison{NBSP}: Offerte" in french
    assert f"Total{NBSP}: 1{NNBSP}609,20{NBSP}€" in french
    assert f"2 × 120,00{NBSP}€ = 240,00{NBSP}€" in french
    order = sample_data("order_confirmation")["order"] | {"discount_amount": 0, "shipping_amount": 1500}
    english = render("order_confirmation", "en", data_with("order_confirmation", order=order)).text
    assert "Discount" not in english
    assert "Shipping: €15.00" in english


@pytest.mark.parametrize(
    ("reason", "english", "french"),
    [
        ("gone", "It answered 410 Gone", "Il a répondu 410 Gone"),
        ("failing", "has failed for 5 days", "échouent depuis 5 jours"),
    ],
)
def test_why_a_webhook_endpoint_was_disabled(reason: str, english: str, french: str) -> None:
    data = data_with("webhook_endpoint_disabled", reason=reason)
    assert english in render("webhook_endpoint_disabled", "en", data).html
    assert french in render("webhook_endpoint_disabled", "fr", data).text


# -- money, dates, languages --------------------------------------------------------------------------


def test_money_is_formatted_by_babel_from_minor_units() -> None:
    assert formats.money(123450, "EUR", "fr") == f"1{NNBSP}234,50{NBSP}€"
    assert formats.money(123450, "EUR", "fr") == format_currency(Decimal("1234.50"), "EUR", locale="fr")
    assert formats.money(123450, "EUR", "en") == "€1,234.50"
    assert formats.money(5, "eur", "en") == "€0.05"
    assert formats.money(-14900, "EUR", "en") == "-€149.00"


def test_yen_have_no_decimals() -> None:
    assert formats.money(123456, "JPY", "en") == "¥123,456"
    order = sample_data("order_confirmation")["order"] | {"currency": "JPY"}
    email = render("order_confirmation", "en", data_with("order_confirmation", order=order))
    assert "Total: ¥160,920" in email.text
    assert "¥160,920" in email.html
    assert "¥1,609.20" not in email.html


@pytest.mark.parametrize("amount", [12.5, "1250", None, True])
def test_money_wants_an_integer_of_minor_units(amount: object) -> None:
    with pytest.raises(TemplateDataError, match="integer of minor units"):
        formats.money(amount, "EUR", "en")


@pytest.mark.parametrize("currency", ["EURO", "", None, "€"])
def test_money_wants_an_iso_currency_code(currency: object) -> None:
    with pytest.raises(TemplateDataError, match="ISO 4217"):
        formats.money(100, currency, "en")


def test_dates_are_localised_and_shown_in_utc() -> None:
    assert formats.date_time("2026-11-21T10:05:00+01:00", "fr") == "21 novembre 2026, 09:05 UTC"
    assert formats.date_time("2026-11-21T09:05:00Z", "en") == f"November 21, 2026, 9:05{NNBSP}AM UTC"
    assert formats.date_time("2026-11-21T09:05:00", "en").endswith("9:05\u202fAM UTC")  # naive: UTC
    assert formats.date("2026-11-21T23:30:00-05:00", "fr") == "22 novembre 2026"
    with pytest.raises(TemplateDataError, match="ISO 8601"):
        formats.date_time(1763715900, "en")


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        ("fr", "fr"),
        ("fr-FR", "fr"),
        ("fr_CA", "fr"),
        ("FR", "fr"),
        ("fr-ca", "fr"),
        ("en-GB", "en"),
        ("de", "en"),
        ("de-DE", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_locale_for(requested: str | None, expected: str) -> None:
    assert locale_for(requested) == expected


def test_other_languages_fall_back_to_english() -> None:
    data = sample_data("welcome")
    assert render("welcome", "de", data) == render("welcome", "en", data)
    assert render("welcome", None, data) == render("welcome", "en", data)
    assert render("welcome", "fr-CA", data) == render("welcome", "fr", data)
    assert render("welcome", "fr-CA", data).subject == "Bienvenue sur Luneo"


# -- subjects ---------------------------------------------------------------------------------------


def test_a_newline_in_the_data_never_reaches_the_subject() -> None:
    data = data_with("invitation", inviter_name="Eve\r\nBcc: victim@example.com\n\tX-Evil:\x00 1")
    subject = render("invitation", "en", data).subject
    assert subject == "Eve Bcc: victim@example.com X-Evil: 1 invited you to join Maison Aurore on Luneo"
    data = sample_data("webhook_endpoint_disabled")
    data["organization"]["name"] = "Maison\u2028Aurore\n"
    assert render("webhook_endpoint_disabled", "fr", data).subject == "Webhook désactivé pour Maison Aurore"


def test_subjects_keep_babel_no_break_spaces() -> None:
    subject = render("payment_failed", "fr", sample_data("payment_failed")).subject
    assert subject == f"Votre paiement de 1{NNBSP}609,20{NBSP}€ n’a pas pu être effectué"

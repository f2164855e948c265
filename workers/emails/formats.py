"""Money and dates as a reader of the email's language writes them, through Babel (CLDR data).

The data comes from SQL as JSON: amounts are integers of minor units (cents; yen have none) and
times are ISO 8601 strings. Anything else is a bug in the query that produced the data, so it
raises `TemplateDataError` instead of printing something approximate.

Times are shown in UTC and say so: the data carries no time zone for the recipient, and a
clock time without its zone would be wrong for most of them.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_currency, get_currency_precision

from luneo.workers.emails.errors import TemplateDataError

_CURRENCY = re.compile(r"[A-Za-z]{3}")


@functools.cache
def _locale(code: str) -> Locale:
    """Parsed once per process: `Locale.parse` reads CLDR data."""
    return Locale.parse(code)


def money(amount_minor: Any, currency: Any, locale: str) -> str:
    """`123450, "EUR"` -> `€1,234.50` (en), `1 234,50 €` (fr); `1234, "JPY"` -> `¥1,234`.
    The number of decimals is the currency's (ISO 4217, as CLDR has it)."""
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise TemplateDataError(f"money: the amount must be an integer of minor units, got {amount_minor!r}")
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        raise TemplateDataError(f"money: the currency must be an ISO 4217 code, got {currency!r}")
    return _money(amount_minor, currency.upper(), locale)


@functools.lru_cache(maxsize=4096)
def _money(amount_minor: int, currency: str, locale: str) -> str:
    """Memoised: Babel takes some 30 us per amount, and an email prints each one in its HTML,
    its text and sometimes its subject. Only ever called with validated arguments (True == 1)."""
    amount = Decimal(amount_minor).scaleb(-get_currency_precision(currency))
    return format_currency(amount, currency, locale=_locale(locale))


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise TemplateDataError(f"{value!r} is not an ISO 8601 date or time") from None
    # no offset: the database's timestamps are UTC
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def date(value: Any, locale: str) -> str:
    """`"2026-11-21T09:05:00+00:00"` -> `November 21, 2026` (en), `21 novembre 2026` (fr)."""
    if not isinstance(value, str):
        raise TemplateDataError(f"date: expected an ISO 8601 string, got {value!r}")
    return _date(value, locale)


def date_time(value: Any, locale: str) -> str:
    """`"2026-11-21T09:05:00+00:00"` -> `November 21, 2026, 9:05 AM UTC` (en),
    `21 novembre 2026, 09:05 UTC` (fr): the long date and the short time, joined as the
    locale joins them."""
    if not isinstance(value, str):
        raise TemplateDataError(f"datetime: expected an ISO 8601 string, got {value!r}")
    return _date_time(value, locale)


@functools.lru_cache(maxsize=1024)
def _date(value: str, locale: str) -> str:
    return format_date(_moment(value), "long", locale=_locale(locale))


@functools.lru_cache(maxsize=1024)
def _date_time(value: str, locale: str) -> str:
    moment = _moment(value)
    where = _locale(locale)
    day = format_date(moment, "long", locale=where)
    clock = format_time(moment, "short", tzinfo=UTC, locale=where)
    pattern = str(where.datetime_formats["long"]).replace("'", "")
    return pattern.replace("{0}", clock).replace("{1}", day) + " UTC"

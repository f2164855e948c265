"""Render a transactional email: its subject, HTML part and text part, in the reader's language.

The public API of `luneo.workers.emails`. `render` is pure and synchronous: it reads only the
packaged templates, compiled once per process by one Jinja2 environment, so a worker may call
it for every email it sends (about a millisecond each: docs/emails.md).

The data comes from SQL as JSON (docs/emails.md lists each template's keys), and a template
must never go out with a blank where a value should be. Hence:

- `StrictUndefined`: a missing variable raises, at any depth, and so does printing a null;
- dots and brackets read a mapping's keys only (`order.items` is the key "items", never the
  `dict.items` method, and a missing key is missing, not a method that happens to exist);
- errors come out as `TemplateDataError` naming the template, the locale and the dotted path.

The HTML part is autoescaped and its CSS inlined (css-inline) into `style=` attributes, as
Gmail and Outlook need; the text part is written as text, not derived from the HTML. Subjects
are one line whatever the data holds: a newline from a name cannot start a new header.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import css_inline
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Undefined, UndefinedError, pass_context
from jinja2.runtime import Context

from luneo.workers.emails import formats
from luneo.workers.emails.branding import brand_of
from luneo.workers.emails.errors import TemplateDataError, TemplateError, UnknownTemplateError
from luneo.workers.emails.samples import SAMPLES

TEMPLATES: tuple[str, ...] = (
    "invitation",
    "welcome",
    "order_confirmation",
    "order_shipped",
    "payment_failed",
    "webhook_endpoint_disabled",
    "subscription_trial_ending",
    "account_erasure_confirmation",
)
LOCALES = ("en", "fr")
"""Supported languages; the first is the fallback for any other."""

TEMPLATE_DIR = Path(__file__).with_name("templates")
_SPACES = re.compile(r"[^\S\u00a0\u2007\u202f]+")
"""Runs of whitespace, line breaks included, but not the no-break spaces of `1\u202f234,50\u00a0€`."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str


class _NullPrinted(Exception):
    """A `{{ value }}` evaluated to None: a required key was given as null."""


_rendering: ContextVar[Mapping[str, Any]] = ContextVar("luneo_email_data")
"""The data of the render in progress, to name the path of a missing nested key."""


def _path_to(node: Any, target: object, prefix: str = "") -> str | None:
    """The dotted path (`order.items[0]`) under which `target` (by identity) sits in `node`."""
    if node is target:
        return prefix
    children: Iterator[tuple[str, Any]]
    if isinstance(node, Mapping):
        children = ((f"{prefix}.{k}" if prefix else str(k), v) for k, v in node.items())
    elif isinstance(node, list | tuple):
        children = ((f"{prefix}[{i}]", v) for i, v in enumerate(node))
    else:
        return None
    for path, child in children:
        if isinstance(child, Mapping | list | tuple) and (found := _path_to(child, target, path)) is not None:
            return found
    return None


def _null_paths(node: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if value is None:
                yield path
            yield from _null_paths(value, path)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _null_paths(value, f"{prefix}[{i}]")


class _DataEnvironment(Environment):
    """Jinja looks `a.b` up as an attribute first, then as an item: on a dict, `order.items`
    would be the bound method. Here a mapping only has its keys."""

    def _key(self, obj: Mapping[Any, Any], key: Any) -> Any:
        try:
            return obj[key]
        except (KeyError, TypeError):
            parent = _path_to(_rendering.get({}), obj)
            path = f"{parent}.{key}" if parent else str(key)
            return self.undefined(hint=f"{path!r} is undefined", obj=obj, name=str(key))

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, dict | Mapping):  # dict first: the ABC check is slower
            return self._key(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, dict | Mapping):
            return self._key(obj, argument)
        return super().getitem(obj, argument)


def _finalize(value: Any) -> Any:
    if value is None:
        raise _NullPrinted
    return value


def _defined(*values: Any) -> None:
    """Filters receive a missing variable as an Undefined object: make it raise as printing it
    would (naming it), not as a value of the wrong type."""
    for value in values:
        if isinstance(value, Undefined):
            str(value)  # StrictUndefined: raises UndefinedError


@pass_context
def _money(context: Context, amount_minor: Any, currency: Any) -> str:
    _defined(amount_minor, currency)
    return formats.money(amount_minor, currency, context["locale"])


@pass_context
def _datetime(context: Context, value: Any) -> str:
    _defined(value)
    return formats.date_time(value, context["locale"])


@pass_context
def _date(context: Context, value: Any) -> str:
    _defined(value)
    return formats.date(value, context["locale"])


@functools.cache
def _environment() -> Environment:
    """Built once per process; Jinja keeps each compiled template (never reloaded: the
    templates are part of the installed package)."""
    env = _DataEnvironment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        undefined=StrictUndefined,
        autoescape=lambda name: name is not None and name.endswith(".html.j2"),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        finalize=_finalize,
    )
    env.filters.update(money=_money, datetime=_datetime, date=_date)
    return env


_INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
"""Every rule of the layout's `<style>` onto the elements; only `@media` stays in `<style>`
(harmless where unsupported, and the only way to adapt to narrow screens)."""


def locale_for(requested: str | None) -> str:
    """The supported locale for a requested one: `fr-FR`, `fr_CA`, `FR` -> `fr`; None, empty or
    any other language -> `en`."""
    if requested:
        language = requested.strip().replace("_", "-").split("-", 1)[0].lower()
        if language in LOCALES:
            return language
    return LOCALES[0]


def _check_name(template: str) -> None:
    if template not in TEMPLATES:
        raise UnknownTemplateError(f"unknown email template {template!r}; known: {', '.join(TEMPLATES)}")


def _one_line(text: str) -> str:
    return _CONTROL.sub("", _SPACES.sub(" ", text)).strip()


def render(template: str, locale: str | None, data: Mapping[str, Any]) -> RenderedEmail:
    """The email `template` in `locale` (see `locale_for`) for `data`: the template's keys and
    the common ones (`organization`, `recipient`, `unsubscribe_url`). `locale`, `brand` and
    `subject` are set by the renderer and replace keys of those names in `data`.

    Raises `UnknownTemplateError`, or `TemplateDataError` when a variable is missing, is null
    where a value is printed, or cannot be formatted."""
    _check_name(template)
    code = locale_for(locale)
    env = _environment()
    token = _rendering.set(data)
    try:
        if "organization" not in data:
            raise TemplateDataError("missing data: 'organization' is undefined")
        context = {**data, "locale": code, "brand": brand_of(data["organization"])}
        subject = _one_line(env.get_template(f"{code}/{template}.subject.j2").render(context))
        context["subject"] = subject
        text = env.get_template(f"{code}/{template}.txt.j2").render(context)
        html = env.get_template(f"{code}/{template}.html.j2").render(context)
    except UndefinedError as exc:
        raise TemplateDataError(f"{template} ({code}): missing data: {exc.message}") from None
    except _NullPrinted:
        nulls = ", ".join(_null_paths(data)) or "none"
        raise TemplateDataError(
            f"{template} ({code}): a value the template prints is null (keys that are null: {nulls})"
        ) from None
    except TemplateDataError as exc:
        raise TemplateDataError(f"{template} ({code}): {exc}") from None
    except TypeError as exc:  # a list given as null, a number where an object belongs...
        raise TemplateDataError(f"{template} ({code}): data of the wrong shape: {exc}") from None
    finally:
        _rendering.reset(token)
    text = _BLANK_LINES.sub("\n\n", text).strip() + "\n"
    return RenderedEmail(subject=subject, html=_INLINER.inline(html), text=text)


def sample_data(template: str) -> dict[str, Any]:
    """Realistic data for `template` (the common keys included), for previews and tests; a new
    copy each call."""
    _check_name(template)
    return copy.deepcopy(SAMPLES[template])


__all__ = [
    "LOCALES",
    "TEMPLATES",
    "RenderedEmail",
    "TemplateDataError",
    "TemplateError",
    "UnknownTemplateError",
    "locale_for",
    "render",
    "sample_data",
]

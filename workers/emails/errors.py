"""What rendering an email raises: a bad template name, or data that does not fit the template.

A separate module so that the formatting filters and the branding rules can raise them without
importing the renderer; `luneo.workers.emails.render` re-exports them as part of its API.
"""

from __future__ import annotations


class TemplateError(Exception):
    """Base class: this email cannot be rendered."""


class UnknownTemplateError(TemplateError):
    """No template has this name; the message lists the known ones."""


class TemplateDataError(TemplateError):
    """The data lacks a variable the template uses (or holds one it cannot format): the message
    names the template, the locale and the variable. Never an email with a blank where a value
    should be."""

"""`luneo emails preview|templates`: render a transactional email without sending it
(docs/emails.md#templates); `luneo emails send-test`: send one through the configured provider.

No database and no project are needed: the data is each template's sample, with the keys of
a `--data` JSON file on top (whole top-level keys: `{"order": {...}}` replaces the order).
Output is written as it is, never through Rich: an HTML part is data, not markup to style.
The renderer (Jinja2, Babel, css-inline: some 60 ms of imports) is imported by these commands
only, not by every `luneo` invocation.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from luneo.cli.db import Dir, settings_for
from luneo.cli.output import err
from luneo.core.errors import ProblemFound, UsageError

app = typer.Typer(help="Transactional emails: preview the templates, send a test.", no_args_is_help=True)


def _data_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--data: cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"--data: {path} is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--data: {path} is not valid JSON: {exc.msg} (line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise UsageError(f"--data: {path} must hold a JSON object, got a {type(data).__name__}")
    return data


@app.command()
def preview(
    template: Annotated[str, typer.Argument(help="The template's name (`luneo emails templates`).")],
    locale: Annotated[str, typer.Option("--locale", metavar="en|fr", help="The language.")] = "en",
    data: Annotated[
        Path | None,
        typer.Option("--data", metavar="FILE", help="A JSON object whose keys replace the sample's."),
    ] = None,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", metavar="FILE", help="Write the HTML to FILE and the text to FILE.txt."),
    ] = None,
) -> None:
    """Render TEMPLATE with its sample data: the subject, the text part and the HTML part on
    stdout, or the two parts into files with --out."""
    from luneo.workers.emails.render import (
        LOCALES,
        TemplateDataError,
        UnknownTemplateError,
        render,
        sample_data,
    )

    try:
        sample = sample_data(template)
    except UnknownTemplateError as exc:
        raise UsageError(str(exc)) from None
    if locale not in LOCALES:
        raise UsageError(f"--locale must be one of {', '.join(LOCALES)}, got {locale!r}")
    text_file = None if out_file is None else out_file.with_suffix(".txt")
    if out_file is not None and text_file == out_file:
        raise UsageError(f"--out {out_file}: the text part goes to FILE.txt, so FILE must not end in .txt")
    values = sample | (_data_file(data) if data is not None else {})
    try:
        email = render(template, locale, values)
    except TemplateDataError as exc:
        raise ProblemFound(str(exc)) from None
    if out_file is None or text_file is None:
        sys.stdout.write(f"==> subject\n{email.subject}\n\n==> text\n{email.text}\n==> html\n{email.html}\n")
        return
    try:
        out_file.write_text(email.html, encoding="utf-8")
        text_file.write_text(email.text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--out: cannot write {exc.filename}: {exc.strerror or exc}") from None
    for label, value in (("subject", email.subject), ("html", out_file), ("text", text_file)):
        err.print(Text(f"{label}: {value}"))


@app.command()
def templates() -> None:
    """List the templates' names, one a line."""
    from luneo.workers.emails.render import TEMPLATES

    sys.stdout.write("".join(f"{name}\n" for name in TEMPLATES))


@app.command("send-test")
def send_test(
    to: Annotated[str, typer.Option("--to", metavar="ADDRESS", help="Where to send the test email.")],
    directory: Dir = None,
) -> None:
    """Send one small test email through the configured provider (LUNEO_EMAIL_PROVIDER and its
    settings, docs/emails-providers.md), and say what the provider answered."""
    import asyncio

    from luneo.workers.emails.providers import PermanentSendError, TransientSendError
    from luneo.workers.emails.providers import send_test as send

    address = to.strip()
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() or c in "<>,\r\n" for c in address):
        raise UsageError(f"--to: {to!r} is not an email address")
    settings = settings_for(directory, None).workers.emails
    try:
        result = asyncio.run(send(settings, address))
    except TransientSendError as exc:
        raise ProblemFound(f"{settings.provider}: temporary failure, try again later: {exc.detail}") from None
    except PermanentSendError as exc:
        raise ProblemFound(f"{settings.provider}: refused: {exc.detail}") from None
    message_id = f" (provider message id {result.provider_message_id})" if result.provider_message_id else ""
    err.print(Text(f"sent a test email to {address} through {settings.provider}{message_id}"))

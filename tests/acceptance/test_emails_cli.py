"""`luneo emails preview|templates` as a user runs them: no database, no project, the real
command in a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from luneo.workers.emails.render import TEMPLATES, render, sample_data
from tests.support.cli import luneo


def sections(stdout: str) -> dict[str, str]:
    """`==> name` headers -> what follows each, up to the next header."""
    parts: dict[str, str] = {}
    name = None
    for line in stdout.splitlines(keepends=True):
        if line.startswith("==> "):
            name = line[4:].strip()
            parts[name] = ""
        elif name is not None:
            parts[name] += line
    return parts


def test_templates_lists_every_name(tmp_path: Path) -> None:
    result = luneo("emails", "templates", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == list(TEMPLATES)


def test_preview_prints_subject_text_and_html(tmp_path: Path) -> None:
    result = luneo("emails", "preview", "order_confirmation", "--locale", "fr", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("==> subject\n")
    parts = sections(result.stdout)
    assert list(parts) == ["subject", "text", "html"]
    expected = render("order_confirmation", "fr", sample_data("order_confirmation"))
    assert parts["subject"].strip() == expected.subject == "Confirmation de votre commande LUN-2026-000042"
    assert parts["text"].strip() == expected.text.strip()
    assert parts["html"].strip() == expected.html.strip()
    assert 'style="' in parts["html"]
    assert result.stderr == ""


def test_preview_in_english_by_default(tmp_path: Path) -> None:
    result = luneo("emails", "preview", "welcome", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sections(result.stdout)["subject"].strip() == "Welcome to Luneo"


def test_preview_to_files(tmp_path: Path) -> None:
    out = tmp_path / "preview.html"
    result = luneo("emails", "preview", "invitation", "--locale", "fr", "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    text_file = tmp_path / "preview.txt"
    expected = render("invitation", "fr", sample_data("invitation"))
    assert out.read_text(encoding="utf-8") == expected.html
    assert text_file.read_text(encoding="utf-8") == expected.text
    assert "Camille Durand vous invite à rejoindre Maison Aurore" in text_file.read_text(encoding="utf-8")
    assert f"html: {out}" in result.stderr
    assert f"text: {text_file}" in result.stderr


def test_an_out_file_ending_in_txt_is_refused(tmp_path: Path) -> None:
    result = luneo("emails", "preview", "welcome", "--out", str(tmp_path / "p.txt"), cwd=tmp_path)
    assert result.returncode == 2
    assert "must not end in .txt" in result.stderr
    assert not (tmp_path / "p.txt").exists()


def test_data_keys_replace_the_sample(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text(
        json.dumps({"recipient": {"email": "zoe@example.com", "name": "Zoé"}, "role": "admin"}),
        encoding="utf-8",
    )
    result = luneo("emails", "preview", "invitation", "--locale", "fr", "--data", str(data), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = sections(result.stdout)["text"]
    assert "Bonjour Zoé," in text
    assert "avec le rôle «\u00a0Administrateur\u00a0»" in text
    assert "Camille Durand vous invite" in text  # the sample's other keys stay


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON: Expecting property name enclosed in double quotes (line 1)"),
        ('["a list"]', "must hold a JSON object, got a list"),
        ('"text"', "must hold a JSON object, got a str"),
        ("null", "must hold a JSON object, got a NoneType"),
    ],
)
def test_bad_data_files_are_refused_in_one_line(tmp_path: Path, content: str, message: str) -> None:
    data = tmp_path / "data.json"
    data.write_text(content, encoding="utf-8")
    result = luneo("emails", "preview", "welcome", "--data", str(data), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == f"error: --data: {data} {message}\n"
    assert result.stdout == ""


def test_a_missing_data_file_is_refused(tmp_path: Path) -> None:
    result = luneo("emails", "preview", "welcome", "--data", str(tmp_path / "nope.json"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: --data: cannot read {tmp_path / 'nope.json'}")


def test_data_that_does_not_fit_the_template_names_the_key(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text(json.dumps({"order": {"number": "LUN-2026-000001"}}), encoding="utf-8")
    result = luneo("emails", "preview", "order_confirmation", "--data", str(data), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("error: order_confirmation (en): missing data: 'order.")
    assert "is undefined" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_unknown_template_and_locale(tmp_path: Path) -> None:
    template = luneo("emails", "preview", "newsletter", cwd=tmp_path)
    assert template.returncode == 2
    assert template.stderr == (
        "error: unknown email template 'newsletter'; known: " + ", ".join(TEMPLATES) + "\n"
    )
    locale = luneo("emails", "preview", "welcome", "--locale", "de", cwd=tmp_path)
    assert locale.returncode == 2
    assert locale.stderr == "error: --locale must be one of en, fr, got 'de'\n"

"""The error code registry (docs/errors.md) against the SQL that raises the codes.

Checks, with no database: every `errcode = 'LU...'` in supabase/**/*.sql is registered exactly
once and every registered code is raised; a code is raised with one message template, so it
means one thing; a code is raised only from the feature folder (supabase/functions/<feature>/)
whose band holds it.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
REGISTRY = PROJECT_DIR / "docs" / "errors.md"
SUPABASE = PROJECT_DIR / "supabase"

# --------------------------------------------------------------------------------------------
# Reading the registry
# --------------------------------------------------------------------------------------------

CODE_ROW = re.compile(r"^\|\s*`?(LU\d{3})`?\s*\|", re.MULTILINE)
BAND_ROW = re.compile(r"^\|\s*`?LU(\d{3})`?\s*(?:-|to)\s*`?LU(\d{3})`?\s*\|([^|]*)\|", re.MULTILINE)


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    features: tuple[str, ...]

    def __contains__(self, code: str) -> bool:
        return self.low <= int(code[2:]) <= self.high

    def __str__(self) -> str:
        return f"LU{self.low:03d}-LU{self.high:03d}"


def registered_codes(text: str) -> list[str]:
    """Every code row of the registry, in order, repeats included."""
    return CODE_ROW.findall(text)


def http_statuses(text: str) -> dict[str, str]:
    """Code -> the HTTP status column of its row."""
    rows = (line.split("|") for line in text.splitlines() if CODE_ROW.match(line))
    return {cells[1].strip().strip("`"): cells[2].strip() for cells in rows if len(cells) > 3}


def bands(text: str) -> list[Band]:
    """The band table: `| LU000-LU019 | teams | ... |`, the second column naming feature folders."""
    return [
        Band(int(low), int(high), tuple(f.strip().strip("`") for f in features.split(",") if f.strip()))
        for low, high, features in BAND_ROW.findall(text)
    ]


# --------------------------------------------------------------------------------------------
# Reading the SQL: a small lexer, enough to find `raise ... ;` statements and their options
# --------------------------------------------------------------------------------------------

TOKEN = re.compile(
    r"""
    (?P<comment>--[^\n]*|/\*.*?\*/)
    | (?P<string>'(?:[^']|'')*')
    | (?P<dollar>\$[A-Za-z_]*\$)          # function body delimiters: the body is lexed as SQL
    | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
    | (?P<quoted>"(?:[^"]|"")*")
    | (?P<space>\s+)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str  # "string", "word", "quoted" or "other"
    value: str  # a string's value unquoted; a word lowercased
    line: int


def tokens(text: str) -> list[Token]:
    out = []
    for match in TOKEN.finditer(text):
        kind = match.lastgroup
        if kind in ("comment", "dollar", "space"):
            continue
        raw = match.group()
        value = raw[1:-1].replace("''", "'") if kind == "string" else raw.lower() if kind == "word" else raw
        out.append(Token(kind, value, text.count("\n", 0, match.start()) + 1))
    return out


@dataclass(frozen=True)
class Raise:
    path: str  # relative to supabase/
    line: int
    code: str
    template: str | None  # the message literal, or the first literal of format(...)


def option(statement: list[Token], name: str) -> list[Token]:
    """The tokens after `<name> =` in a `raise ... using` statement, up to the next option."""
    for i, token in enumerate(statement[:-1]):
        if token.kind == "word" and token.value == name and statement[i + 1].value == "=":
            rest = statement[i + 2 :]
            depth = 0
            for j, t in enumerate(rest):
                if t.kind != "other":
                    continue
                if t.value == "(":
                    depth += 1
                elif t.value == ")":
                    depth -= 1
                elif t.value == "," and depth == 0:
                    return rest[:j]
            return rest
    return []


def code_of(statement: list[Token]) -> str | None:
    """The LU code of a raise: `using errcode = 'LU...'`, or `raise sqlstate 'LU...'`."""
    errcode = option(statement, "errcode")
    if len(errcode) == 1 and errcode[0].kind == "string" and errcode[0].value.startswith("LU"):
        return errcode[0].value
    for before, after in itertools.pairwise(statement):
        if before.value == "sqlstate" and after.kind == "string" and after.value.startswith("LU"):
            return after.value
    return None


def template(value: list[Token]) -> str | None:
    if len(value) == 1 and value[0].kind == "string":
        return value[0].value
    if len(value) > 2 and value[0].value == "format" and value[1].value == "(" and value[2].kind == "string":
        return value[2].value
    return None


def raises(path: Path, root: Path = SUPABASE) -> tuple[list[Raise], int]:
    """The `raise` statements of a file that carry an LU code, and how many LU codes it gives."""
    rel = path.relative_to(root).as_posix()
    toks = tokens(path.read_text(encoding="utf-8"))
    found = []
    for i, token in enumerate(toks):
        if token.kind != "word" or token.value != "raise":
            continue
        end = next(
            (j for j in range(i, len(toks)) if toks[j].kind == "other" and toks[j].value == ";"), len(toks)
        )
        statement = toks[i:end]
        code = code_of(statement)
        if code is not None:
            found.append(Raise(rel, token.line, code, template(option(statement, "message"))))
    return found, given_codes(toks)


def given_codes(toks: list[Token]) -> int:
    """How many times LU codes are given as error codes (`errcode = 'LU...'`, `sqlstate 'LU...'`),
    inside a recognised raise or not: raises() must account for every one."""
    count = 0
    for i, t in enumerate(toks):
        if t.kind == "word" and t.value == "errcode" and i + 2 < len(toks) and toks[i + 1].value == "=":
            value = toks[i + 2]
        elif t.kind == "word" and t.value == "sqlstate" and i + 1 < len(toks):
            value = toks[i + 1]
        else:
            continue
        count += value.kind == "string" and value.value.startswith("LU")
    return count


def feature_of(rel: str) -> str | None:
    """`functions/<feature>/...` -> feature; None elsewhere (and for functions/_shared)."""
    parts = rel.split("/")
    if len(parts) >= 3 and parts[0] == "functions" and not parts[1].startswith("_"):
        return parts[1]
    return None


# --------------------------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------------------------


def problems(registry_text: str, root: Path = SUPABASE) -> list[str]:
    """Everything wrong between a registry and the SQL under root (a supabase/ directory), one
    line each; empty when they agree."""
    found: list[str] = []
    registered = registered_codes(registry_text)
    known_bands = bands(registry_text)
    all_raises: list[Raise] = []
    for path in sorted(root.rglob("*.sql")):
        file_raises, errcodes = raises(path, root)
        if errcodes != len(file_raises):
            found.append(
                f"{path.relative_to(root).as_posix()}: {errcodes} LU codes given, {len(file_raises)} "
                "in a recognised `raise` statement"
            )
        all_raises += file_raises

    by_code: dict[str, list[Raise]] = defaultdict(list)
    for r in all_raises:
        by_code[r.code].append(r)

    for code, status in sorted(http_statuses(registry_text).items()):
        if status != "400":
            found.append(
                f"{code}: HTTP {status} in docs/errors.md, but PostgREST answers 400 for a code it does not know"
            )
    for code in sorted(set(registered)):
        if registered.count(code) > 1:
            found.append(f"{code} has {registered.count(code)} rows in docs/errors.md; one code, one row")
        if code not in by_code:
            found.append(f"{code} is registered in docs/errors.md but no SQL raises it")
    for code, uses in sorted(by_code.items()):
        where = ", ".join(f"{r.path}:{r.line}" for r in uses)
        if code not in registered:
            found.append(f"{code} is raised ({where}) but not registered in docs/errors.md")
        templates = {r.template for r in uses}
        if None in templates:
            found.append(f"{code}: a raise without a literal message or format('...') ({where})")
        if len(templates - {None}) > 1:
            listed = " | ".join(sorted(repr(t) for t in templates - {None}))
            found.append(
                f"{code} is raised with {len(templates - {None})} messages, so it means several things: {listed}"
            )
        for r in uses:
            feature = feature_of(r.path)
            if feature is None:
                found.append(
                    f"{r.path}:{r.line}: {code} raised outside a feature folder (functions/<feature>/)"
                )
                continue
            band = next((b for b in known_bands if feature in b.features), None)
            if band is None:
                found.append(f"{r.path}:{r.line}: feature {feature!r} has no band in docs/errors.md")
            elif code not in band:
                found.append(f"{r.path}:{r.line}: {code} is outside the {feature} band {band}")
    return found


def test_the_registry_matches_the_sql() -> None:
    assert problems(REGISTRY.read_text(encoding="utf-8")) == []


def test_the_registry_is_read() -> None:
    """Guards the parsers: a registry or SQL the regexes no longer see would pass vacuously."""
    text = REGISTRY.read_text(encoding="utf-8")
    codes = registered_codes(text)
    assert {"LU001", "LU020", "LU030", "LU032"} <= set(codes)
    features = {f for b in bands(text) for f in b.features}
    assert {"teams", "api_keys", "identity", "commerce", "billing"} <= features
    raised = {r.code for path in SUPABASE.rglob("*.sql") for r in raises(path)[0]}
    assert raised >= {"LU001", "LU005", "LU020", "LU031"}


def test_bands_do_not_overlap_and_cover_every_feature_folder() -> None:
    text = REGISTRY.read_text(encoding="utf-8")
    known = sorted(bands(text), key=lambda b: b.low)
    for before, after in itertools.pairwise(known):
        assert before.high < after.low, f"{before} overlaps {after}"
    folders = {
        p.name for p in (SUPABASE / "functions").iterdir() if p.is_dir() and not p.name.startswith("_")
    }
    assert folders <= {f for b in known for f in b.features}


# --------------------------------------------------------------------------------------------
# The checker itself, on small made-up projects: each kind of inconsistency is caught
# --------------------------------------------------------------------------------------------

REGISTRY_TEXT = """
| band | features | covers |
|---|---|---|
| LU000-LU019 | teams | organisations |
| LU030-LU039 | identity | profiles |

| code | HTTP | meaning | raised by |
|---|---|---|---|
| `LU001` | 400 | invitation not found | accept_invitation |
| `LU030` | 400 | erasure not requested | erase_account |
"""

INVITATIONS = """
create function private.f() returns void language plpgsql as $$
begin
    -- raise exception using errcode = 'LU999' (a comment is not code)
    raise exception using errcode = 'LU001', message = 'invitation not found',
        hint = 'Ask again; it''s fine.';
end;
$$;
"""

GDPR = """
create function private.g() returns void language plpgsql as $$
begin
    raise exception using errcode = 'LU030', message = format('%s has not asked', 1);
end;
$$;
"""


Tree = Callable[[dict[str, str]], Path]


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    """Writes made-up SQL files under a throw-away supabase/ directory and returns it."""

    def make(files: dict[str, str]) -> Path:
        for rel, text in files.items():
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / rel).write_text(text)
        return tmp_path

    return make


def test_a_consistent_project_has_no_problem(tree: Tree) -> None:
    root = tree({"functions/teams/invitations.sql": INVITATIONS, "functions/identity/gdpr.sql": GDPR})
    assert problems(REGISTRY_TEXT, root) == []


def test_a_code_reused_for_another_meaning_in_another_feature_is_caught(tree: Tree) -> None:
    """The old LU001 double use: 'invitation not found' in teams, 'no such user' in identity."""
    reused = GDPR + GDPR.replace("g()", "h()").replace(
        "errcode = 'LU030', message = format('%s has not asked', 1)",
        "errcode = 'LU001', message = 'no such user'",
    )
    root = tree({"functions/teams/invitations.sql": INVITATIONS, "functions/identity/gdpr.sql": reused})
    found = problems(REGISTRY_TEXT, root)
    assert any(p.startswith("LU001 is raised with 2 messages") for p in found), found
    assert any("LU001 is outside the identity band LU030-LU039" in p for p in found), found


def test_unregistered_duplicated_and_unused_codes_are_caught(tree: Tree) -> None:
    registry = REGISTRY_TEXT + "| LU001 | 400 | again | x |\n| LU002 | 404 | expired | x |\n"
    root = tree({
        "functions/teams/invitations.sql": INVITATIONS.replace("'LU001'", "'LU003'"),
        "functions/identity/gdpr.sql": GDPR,
    })  # fmt: skip
    assert sorted(problems(registry, root)) == [
        "LU001 has 2 rows in docs/errors.md; one code, one row",
        "LU001 is registered in docs/errors.md but no SQL raises it",
        "LU002 is registered in docs/errors.md but no SQL raises it",
        "LU002: HTTP 404 in docs/errors.md, but PostgREST answers 400 for a code it does not know",
        "LU003 is raised (functions/teams/invitations.sql:5) but not registered in docs/errors.md",
    ]


def test_codes_outside_feature_folders_or_bands_are_caught(tree: Tree) -> None:
    root = tree({
        "functions/_shared/helpers.sql": INVITATIONS,
        "functions/events/outbox.sql": GDPR,
    })  # fmt: skip
    assert sorted(problems(REGISTRY_TEXT, root)) == [
        "functions/_shared/helpers.sql:5: LU001 raised outside a feature folder (functions/<feature>/)",
        "functions/events/outbox.sql:4: feature 'events' has no band in docs/errors.md",
    ]


def test_the_sqlstate_form_of_raise_is_read_too(tree: Tree) -> None:
    other_form = GDPR.replace(
        "raise exception using errcode = 'LU030', message = format(",
        "raise sqlstate 'LU031' using message = format(",
    )
    root = tree({"functions/identity/gdpr.sql": other_form, "functions/teams/invitations.sql": INVITATIONS})
    assert problems(REGISTRY_TEXT, root) == [
        "LU030 is registered in docs/errors.md but no SQL raises it",
        "LU031 is raised (functions/identity/gdpr.sql:4) but not registered in docs/errors.md",
    ]


def test_a_raise_the_checker_cannot_read_is_reported(tree: Tree) -> None:
    unreadable = GDPR.replace("message = format('%s has not asked', 1)", "message = some_variable")
    root = tree({"functions/identity/gdpr.sql": unreadable, "functions/teams/invitations.sql": INVITATIONS})
    assert problems(REGISTRY_TEXT, root) == [
        "LU030: a raise without a literal message or format('...') (functions/identity/gdpr.sql:4)"
    ]

"""Usage errors, help, version and completion come from Typer itself, never from the error funnel."""

from __future__ import annotations

from importlib.metadata import version

import pytest

from tests.support.cli import luneo


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["db", "aply"], "No such command 'aply'. Did you mean 'apply'?"),
        (["db", "new"], "Missing argument 'name'"),
        (["db", "apply", "--bogus"], "No such option: --bogus"),
    ],
)
def test_usage_errors_print_the_usage_and_exit_2(args: list[str], expected: str) -> None:
    result = luneo(*args)
    assert result.returncode == 2
    assert f"Usage: luneo {args[0]}" in result.stderr
    assert expected in result.stderr
    assert "internal error" not in result.stdout + result.stderr


def test_no_command_prints_the_help_and_exits_2() -> None:
    result = luneo()
    assert result.returncode == 2
    assert "Usage: luneo [OPTIONS] COMMAND" in result.stdout
    assert "internal error" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "args", [["-h"], ["--help"], ["db", "-h"], ["db", "apply", "-h"], ["embedded", "-h"]]
)
def test_help_short_and_long_exit_0(args: list[str]) -> None:
    result = luneo(*args)
    assert result.returncode == 0, result.stderr
    assert "Usage: luneo" in result.stdout
    assert result.stderr == ""


def test_version_prints_the_installed_version() -> None:
    result = luneo("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"luneo {version('luneo')}\n"


def test_shell_completion_script_and_completions() -> None:
    script = luneo("--show-completion", "bash")
    assert script.returncode == 0, script.stderr
    assert "_LUNEO_COMPLETE=complete_bash" in script.stdout

    env = {"_LUNEO_COMPLETE": "complete_bash", "COMP_WORDS": "luneo db ap", "COMP_CWORD": "2"}
    completions = luneo(env=env)
    assert completions.returncode == 0, completions.stderr
    assert completions.stdout.split() == ["apply"]

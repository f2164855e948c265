"""`luneo gen types typescript` against the whole Luneo schema, compiled by `tsc --strict` with
supabase-js: a frontend module that uses tables, embeds and RPCs compiles; a wrong column, a wrong
argument type and an insert missing a required column do not, each at the line that is wrong.

`typescript` and `@supabase/supabase-js` come from the npm registry, installed once into
`.luneo/npm-cache/typegen` and reused by later runs.
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import luneo
from tests.support.pg import REPO

CACHE = REPO / ".luneo" / "npm-cache" / "typegen"
PACKAGES = ["typescript@5", "@supabase/supabase-js@2"]
NPM_TIMEOUT = 300

PREAMBLE = """\
import { createClient } from "@supabase/supabase-js"
import { Constants } from "./database.types"
import type { Database, Enums, Tables, TablesInsert, TablesUpdate } from "./database.types"

const supabase = createClient<Database>("http://127.0.0.1:54321", "anon-key")
"""

CLIENT = (
    PREAMBLE
    + """
export async function screens(): Promise<string[]> {
  const { data: organizations, error } = await supabase
    .from("organizations")
    .select("id, name, slug, seat_limit")
    .eq("slug", "acme")
    .order("name")
  if (error) throw error
  const seats: number[] = organizations.map((o) => o.seat_limit)

  const { data: profile } = await supabase
    .from("profiles")
    .select("id, full_name, status")
    .eq("id", "00000000-0000-0000-0000-000000000000")
    .single()
  const status: Enums<"presence_status"> | undefined = profile?.status
  const fullName: string | null | undefined = profile?.full_name

  const organization: TablesInsert<"organizations"> = { name: "Acme", slug: "acme" }
  await supabase.from("organizations").insert(organization)
  await supabase.from("invitations").insert({ email: "a@example.com", organization_id: "o" })
  const rename: TablesUpdate<"organizations"> = { name: "Acme Inc" }
  await supabase.from("organizations").update(rename).eq("id", "o")

  const { data: members } = await supabase
    .from("team_members")
    .select("role, organizations(name)")
    .eq("user_id", "u")
  const organizationName: string | undefined = members?.[0]?.organizations?.name

  const { data: created } = await supabase.rpc("create_organization", { name: "Acme", slug: "acme" })
  const slug: string | undefined = created?.slug
  const { data: accepted } = await supabase.rpc("accept_invitation", { token: "secret" })
  const role: Enums<"team_role"> | undefined = accepted?.role
  const { data: people } = await supabase.rpc("member_profiles")
  const names: string[] = (people ?? []).map((p) => p.full_name)
  await supabase.rpc("create_api_key", { organization_id: "o", name: "ci", scopes: ["orders:read"] })

  const row: Tables<"organizations"> | null = null
  const roles: readonly string[] = Constants.public.Enums.team_role
  return [
    ...names,
    ...roles,
    slug ?? "",
    role ?? "",
    status ?? "",
    fullName ?? "",
    organizationName ?? "",
    String(seats.length),
    String(row),
  ]
}
"""
)

# each holds one mistake, on the line marked `// <- error`
BROKEN = {
    "wrong_column": (
        "TS2339",
        """
export async function wrongColumn(): Promise<unknown> {
  const { data } = await supabase.from("organizations").select("id, name")
  return data?.[0]?.nonexistent // <- error
}
""",
    ),
    "wrong_argument_type": (
        "TS2322",
        """
export async function wrongArgumentType(): Promise<unknown> {
  return supabase.rpc("create_organization", { name: 42, slug: "acme" }) // <- error
}
""",
    ),
    "insert_missing_required_column": (
        "TS2345",
        """
export async function missingRequiredColumn(): Promise<unknown> {
  return supabase.from("organizations").insert({ name: "Acme" }) // <- error
}
""",
    ),
}


def toolchain() -> Path:
    """The cache's `tsc`, installing the packages first when they are missing (one installer
    at a time: the test workers share the cache)."""
    tsc = CACHE / "node_modules" / ".bin" / "tsc"
    supabase_js = CACHE / "node_modules" / "@supabase" / "supabase-js" / "package.json"
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE.parent / "typegen.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if tsc.exists() and supabase_js.exists():
            return tsc
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail(
                "npm is not on PATH: this test needs node and npm to install typescript and supabase-js"
            )
        command = [npm, "install", "--no-audit", "--no-fund", "--prefix", str(CACHE), *PACKAGES]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=NPM_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(
                f"`{' '.join(command)}` did not finish within {NPM_TIMEOUT}s: is the npm registry reachable?"
            )
        if result.returncode != 0 or not (tsc.exists() and supabase_js.exists()):
            pytest.fail(f"`{' '.join(command)}` failed (exit {result.returncode}):\n{result.stderr[-3000:]}")
    return tsc


@pytest.fixture(scope="module")
def tsc() -> Path:
    return toolchain()


@pytest.fixture
def frontend(tmp_path: Path, db_url: str) -> Path:
    """A frontend directory: the generated types, supabase-js reachable, a strict tsconfig."""
    generated = luneo("gen", "types", "typescript", "--schema", "public", "--db-url", db_url)
    assert generated.returncode == 0, generated.stderr
    assert "export type Database = {" in generated.stdout
    (tmp_path / "database.types.ts").write_text(generated.stdout)
    (tmp_path / "node_modules").symlink_to(CACHE / "node_modules", target_is_directory=True)
    return tmp_path


def compile_module(tsc: Path, directory: Path, name: str, text: str) -> subprocess.CompletedProcess:
    (directory / name).write_text(text)
    options = ["--noEmit", "--strict", "--pretty", "false", "--skipLibCheck", "--target", "es2022"]
    options += ["--module", "esnext", "--moduleResolution", "bundler", "--lib", "es2022,dom"]
    return subprocess.run(
        [str(tsc), *options, name], cwd=directory, capture_output=True, text=True, timeout=120
    )


def test_a_frontend_module_compiles_against_the_generated_types(tsc: Path, frontend: Path) -> None:
    result = compile_module(tsc, frontend, "client.ts", CLIENT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("mistake", sorted(BROKEN))
def test_a_mistake_fails_to_compile_at_its_line(tsc: Path, frontend: Path, mistake: str) -> None:
    code, body = BROKEN[mistake]
    text = PREAMBLE + body
    line = next(i for i, t in enumerate(text.splitlines(), start=1) if t.endswith("// <- error"))
    result = compile_module(tsc, frontend, f"{mistake}.ts", text)
    assert result.returncode != 0
    errors = [e for e in result.stdout.splitlines() if ": error TS" in e]
    assert errors, result.stdout + result.stderr
    assert all(e.startswith(f"{mistake}.ts({line},") for e in errors), result.stdout
    assert f"error {code}:" in errors[0]

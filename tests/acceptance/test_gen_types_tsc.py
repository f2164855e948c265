"""`luneo gen types typescript` against the whole Luneo schema, compiled by `tsc --strict` with
supabase-js: a frontend module that uses tables, embeds (through a view too) and RPCs compiles; a
wrong column, a wrong argument type and an insert missing a required column do not, each at the
line that is wrong. With `--postgrest-version 13`, createClient<Database> takes PostgREST 13's
options from the `__InternalSupabase` marker (`maxAffected` compiles; without it, it does not).

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
from tests.support.pg import REPO, Superuser

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

  // embedding through a view: the relationships it gets from the foreign key it exposes
  const { data: directory } = await supabase
    .from("member_directory")
    .select("*, organizations(name, slug)")
  const directoryOrganization: { name: string; slug: string } | null | undefined =
    directory?.[0]?.organizations
  const directoryRole: Enums<"team_role"> | null | undefined = directory?.[0]?.role
  const { data: withDirectory } = await supabase
    .from("organizations")
    .select("name, member_directory(user_id, role)")
  const listedRoles: (Enums<"team_role"> | null)[] | undefined = withDirectory?.[0]?.member_directory.map(
    (m) => m.role
  )

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
    directoryOrganization?.slug ?? "",
    directoryRole ?? "",
    String(listedRoles?.length),
    String(seats.length),
    String(row),
  ]
}
"""
)

VIEW = """
create view public.member_directory as
select m.id, m.organization_id, m.user_id, m.role from public.team_members as m
"""

# `maxAffected` is a PostgREST 13 feature: supabase-js types it only for that version
MAX_AFFECTED = (
    PREAMBLE
    + """
export async function renameOne(): Promise<unknown> {
  return supabase.from("organizations").update({ name: "Acme" }).eq("id", "o").maxAffected(1).select() // <- error
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


def write_frontend(directory: Path, db_url: str, *options: str) -> Path:
    """A frontend directory: the generated types, supabase-js reachable."""
    generated = luneo("gen", "types", "typescript", "--schema", "public", "--db-url", db_url, *options)
    assert generated.returncode == 0, generated.stderr
    assert "export type Database = {" in generated.stdout
    directory.mkdir(exist_ok=True)
    (directory / "database.types.ts").write_text(generated.stdout)
    (directory / "node_modules").symlink_to(CACHE / "node_modules", target_is_directory=True)
    return directory


@pytest.fixture
def frontend(tmp_path: Path, db_url: str) -> Path:
    """The types of the Luneo schema and a view over team_members."""
    with Superuser(db_url) as su:
        su(VIEW)
    return write_frontend(tmp_path, db_url)


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


def test_the_postgrest_version_marker_types_the_client_for_that_version(
    tsc: Path, tmp_path: Path, db_url: str
) -> None:
    marked = write_frontend(tmp_path / "marked", db_url, "--postgrest-version", "13.0.5")
    assert (
        '  __InternalSupabase: {\n    PostgrestVersion: "13.0.5"\n  }\n'
        in (marked / "database.types.ts").read_text()
    )
    result = compile_module(tsc, marked, "client.ts", MAX_AFFECTED)
    assert result.returncode == 0, result.stdout + result.stderr

    unmarked = write_frontend(tmp_path / "unmarked", db_url)
    result = compile_module(tsc, unmarked, "client.ts", MAX_AFFECTED)
    line = next(i for i, t in enumerate(MAX_AFFECTED.splitlines(), start=1) if t.endswith("// <- error"))
    assert result.returncode != 0
    assert result.stdout.startswith(f"client.ts({line},"), result.stdout

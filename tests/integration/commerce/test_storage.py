"""Storage buckets and their policies on storage.objects, through the PostgREST-faithful helper.

Supabase's Storage API writes storage.objects with the caller's JWT role, so a file is a row
inserted here as the caller would (an upload is a plain insert, no returning: insert is the only
policy an upload needs). Real Postgres; the superuser only prepares and inspects.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests.support.pg import REPO
from tests.support.postgrest import PostgREST, PostgrestError, Session
from tests.support.team import Team

MIGRATION = REPO / "supabase/migrations/20261121130300_create_commerce_storage_and_ar.sql"
MB = 1024 * 1024


def storage(team: Team, who: str) -> Session:
    api = PostgREST(team.url, schema="storage")
    if who == "anon":
        return api.anon()
    return team.people[who].session(api)


def upload(team: Team, who: str, bucket: str, name: str) -> str:
    """'allow' when the row is there afterwards, 'deny' on 42501 with no row."""
    session = storage(team, who)
    owner = None if who == "anon" else str(team.people[who].id)
    refused: PostgrestError | None = None
    try:
        session.sql(
            "insert into storage.objects (bucket_id, name, owner_id, metadata)"
            ' values (%s, %s, %s, \'{"mimetype": "application/octet-stream"}\')',
            [bucket, name, owner],
            method="POST",
            path=f"/object/{bucket}/{name}",
        )
    except PostgrestError as error:
        refused = error
    assert refused is None or refused.sqlstate == "42501", refused
    assert stored(team, bucket, name) is (refused is None)
    return "deny" if refused else "allow"


def stored(team: Team, bucket: str, name: str) -> bool:
    return bool(
        team.superuser("select 1 from storage.objects where bucket_id = %s and name = %s", [bucket, name])
    )


def put(team: Team, bucket: str, name: str) -> None:
    team.superuser("insert into storage.objects (bucket_id, name) values (%s, %s)", [bucket, name])


def listing(team: Team, who: str, bucket: str) -> set[str]:
    rows = storage(team, who).sql(
        "select name from storage.objects where bucket_id = %s", [bucket], path=f"/object/list/{bucket}"
    )
    return {r["name"] for r in rows}


def other_org(team: Team) -> uuid.UUID:
    (row,) = team.superuser(
        "insert into public.organizations (name, slug) values ('Other brand', %s) returning id",
        [f"other-{uuid.uuid4().hex[:8]}"],
    )
    return row["id"]


# =============================================================================================
# buckets
# =============================================================================================


def test_buckets_have_their_limits(team: Team) -> None:
    rows = team.superuser(
        "select id, name, public, file_size_limit, allowed_mime_types from storage.buckets"
        " where id in ('avatars', 'design-assets', 'ar-models') order by id"
    )
    found = {r["id"]: r for r in rows}
    assert (found["avatars"]["public"], found["avatars"]["file_size_limit"]) == (True, 2 * MB)
    assert (found["design-assets"]["public"], found["design-assets"]["file_size_limit"]) == (False, 10 * MB)
    assert (found["ar-models"]["public"], found["ar-models"]["file_size_limit"]) == (True, 50 * MB)
    assert all(r["name"] == r["id"] for r in rows)
    assert set(found["avatars"]["allowed_mime_types"]) == {
        "image/png", "image/jpeg", "image/webp", "image/gif", "image/avif"
    }  # fmt: skip
    assert "image/svg+xml" not in found["avatars"]["allowed_mime_types"]  # scripts in an avatar: no
    assert {"image/svg+xml", "application/pdf", "image/png"} <= set(
        found["design-assets"]["allowed_mime_types"]
    )
    assert {"model/gltf-binary", "model/gltf+json", "model/vnd.usdz+zip", "application/octet-stream"} <= set(
        found["ar-models"]["allowed_mime_types"]
    )


def test_a_bucket_made_beforehand_gets_the_limits(team: Team) -> None:
    """The dashboard may have made a bucket already: the migration's insert updates it."""
    statement = re.search(r"insert into storage\.buckets.*?;", MIGRATION.read_text(), re.S)
    assert statement
    team.superuser(
        "update storage.buckets set public = false, file_size_limit = null, allowed_mime_types = null"
        " where id = 'ar-models'"
    )
    team.superuser("delete from storage.buckets where id = 'avatars'")
    team.superuser(statement[0])
    team.superuser(statement[0])  # and again: idempotent
    rows = team.superuser(
        "select id, public, file_size_limit from storage.buckets where id in ('avatars', 'ar-models') order by id"
    )
    assert rows == [
        {"id": "ar-models", "public": True, "file_size_limit": 50 * MB},
        {"id": "avatars", "public": True, "file_size_limit": 2 * MB},
    ]


# =============================================================================================
# writes, per bucket, role and folder
# =============================================================================================

ROLES = ["anon", "outsider", "viewer", "designer", "manager", "admin", "owner"]

WRITES = {
    # bucket, whose folder, extension: expected per role, in the order of ROLES
    ("design-assets", "own", "png"): ["deny", "deny", "deny", "allow", "allow", "allow", "allow"],
    ("design-assets", "own", "svg"): ["deny", "deny", "deny", "allow", "allow", "allow", "allow"],
    ("design-assets", "own", "pdf"): ["deny", "deny", "deny", "allow", "allow", "allow", "allow"],
    ("design-assets", "own", "html"): ["deny"] * 7,
    ("design-assets", "other", "png"): ["deny"] * 7,
    ("ar-models", "own", "glb"): ["deny", "deny", "deny", "deny", "allow", "allow", "allow"],
    ("ar-models", "own", "usdz"): ["deny", "deny", "deny", "deny", "allow", "allow", "allow"],
    ("ar-models", "own", "exe"): ["deny"] * 7,
    ("ar-models", "other", "glb"): ["deny"] * 7,
    ("avatars", "own", "png"): ["deny", "allow", "allow", "allow", "allow", "allow", "allow"],
    ("avatars", "own", "svg"): ["deny"] * 7,
    ("avatars", "other", "png"): ["deny"] * 7,
}

WRITE_CELLS = [
    pytest.param(bucket, whose, ext, role, expected, id=f"{bucket}-{whose}-{ext}-{role}")
    for (bucket, whose, ext), row in WRITES.items()
    for role, expected in zip(ROLES, row, strict=True)
]


def folder(team: Team, bucket: str, whose: str, role: str) -> str:
    if bucket == "avatars":
        if whose == "own" and role != "anon":
            return str(team.people[role].id)
        return str(uuid.uuid4()) if whose == "other" else "anon"
    return str(team.org_id if whose == "own" else other_org(team))


@pytest.mark.parametrize(("bucket", "whose", "ext", "role", "expected"), WRITE_CELLS)
def test_uploads(team: Team, bucket: str, whose: str, ext: str, role: str, expected: str) -> None:
    name = f"{folder(team, bucket, whose, role)}/{uuid.uuid4().hex}.{ext}"
    assert upload(team, role, bucket, name) == expected


def test_a_file_outside_any_folder_is_refused(team: Team) -> None:
    assert upload(team, "owner", "design-assets", "loose.png") == "deny"
    assert upload(team, "owner", "ar-models", f"{team.org_id}.glb") == "deny"


def test_renaming_into_another_organisation_is_refused(team: Team) -> None:
    name = f"{team.org_id}/{uuid.uuid4().hex}.png"
    put(team, "design-assets", name)
    elsewhere = f"{other_org(team)}/stolen.png"
    with pytest.raises(PostgrestError) as caught:
        storage(team, "designer").update("objects", {"name": elsewhere}, bucket_id="design-assets", name=name)
    assert caught.value.sqlstate == "42501"
    assert stored(team, "design-assets", name)


@pytest.mark.parametrize(("who", "deleted"), [("viewer", False), ("designer", True), ("outsider", False)])
def test_deleting_design_assets(team: Team, who: str, deleted: bool) -> None:
    name = f"{team.org_id}/{uuid.uuid4().hex}.png"
    put(team, "design-assets", name)
    rows = storage(team, who).delete("objects", bucket_id="design-assets", name=name)
    assert len(rows) == int(deleted)
    assert stored(team, "design-assets", name) is not deleted


def test_a_manager_deletes_an_ar_model_file_of_their_organisation_only(team: Team) -> None:
    mine, theirs = f"{team.org_id}/a.glb", f"{other_org(team)}/b.glb"
    put(team, "ar-models", mine)
    put(team, "ar-models", theirs)
    manager = storage(team, "manager")
    assert manager.delete("objects", bucket_id="ar-models", name=theirs) == []
    assert [r["name"] for r in manager.delete("objects", bucket_id="ar-models", name=mine)] == [mine]
    assert stored(team, "ar-models", theirs)


# =============================================================================================
# listing
# =============================================================================================


def test_public_buckets_list_nothing_to_anyone_but_the_folders_writers(team: Team) -> None:
    model = f"{team.org_id}/ring.glb"
    other = f"{other_org(team)}/other.glb"
    avatar = f"{team.people['viewer'].id}/me.png"
    for bucket, name in [("ar-models", model), ("ar-models", other), ("avatars", avatar)]:
        put(team, bucket, name)
    for who in ("anon", "outsider", "viewer", "designer"):
        assert listing(team, who, "ar-models") == set(), who
    for who in ("anon", "outsider", "designer", "owner"):
        assert listing(team, who, "avatars") == set(), who
    assert listing(team, "manager", "ar-models") == {model}  # to replace or delete its own files
    assert listing(team, "viewer", "avatars") == {avatar}


def test_members_list_their_organisations_design_assets(team: Team) -> None:
    mine = f"{team.org_id}/sketch.png"
    theirs = f"{other_org(team)}/secret.png"
    put(team, "design-assets", mine)
    put(team, "design-assets", theirs)
    assert listing(team, "viewer", "design-assets") == {mine}
    assert listing(team, "owner", "design-assets") == {mine}
    assert listing(team, "outsider", "design-assets") == set()
    assert listing(team, "anon", "design-assets") == set()


def test_buckets_themselves_are_not_writable_by_the_api(team: Team) -> None:
    def attempt(session: Session) -> Any:
        return session.update("buckets", {"file_size_limit": 10**12}, id="avatars")

    for who in ("anon", "owner"):
        refused: PostgrestError | None = None
        try:
            rows = attempt(storage(team, who))
        except PostgrestError as error:
            refused, rows = error, []
        assert rows == []
        assert refused is None or refused.sqlstate == "42501"
    assert team.superuser("select file_size_limit from storage.buckets where id = 'avatars'") == [
        {"file_size_limit": 2 * MB}
    ]

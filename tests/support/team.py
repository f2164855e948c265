"""A ready-made organisation for RLS and RPC tests: one user per role, plus an outsider.

The organisation is created through the real RPC (`create_organization`, so the owner row comes
from the product code); the other members are inserted by the superuser connection, as the
service role or a migration would, which the team_members triggers allow.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.support.pg import create_user, superuser
from tests.support.postgrest import PostgREST, Session

MEMBER_ROLES = ("viewer", "designer", "manager", "admin", "owner")


@dataclass
class Person:
    id: uuid.UUID
    email: str

    def session(self, api: PostgREST, **kwargs: Any) -> Session:
        return api.user(self.id, self.email, **kwargs)


@dataclass
class Team:
    """Organisation `org_id` with `people[role]` for every member role, and `people['outsider']`."""

    api: PostgREST
    url: str
    org_id: uuid.UUID
    people: dict[str, Person] = field(default_factory=dict)

    def as_(self, who: str, **kwargs: Any) -> Session:
        """A PostgREST session for a role name: anon, service_role, outsider or a member role."""
        if who == "anon":
            return self.api.anon()
        if who == "service_role":
            return self.api.service_role()
        return self.people[who].session(self.api, **kwargs)

    def superuser(self, query: str, params: Any = None) -> list[dict]:
        """Run SQL as the database owner (setup and inspection only, never for assertions on RLS)."""
        return superuser(self.url, query, params)

    def add_member(self, role: str, *, status: str = "active", email: str | None = None) -> Person:
        tag = uuid.uuid4().hex[:8]
        email = email or f"{role}-{tag}@example.com"
        person = Person(create_user(self.url, email, {"full_name": f"{role.title()} {tag}"}), email)
        self.superuser(
            "insert into public.team_members (organization_id, user_id, role, status) values (%s, %s, %s, %s)",
            [self.org_id, person.id, role, status],
        )
        return person


def new_person(url: str, label: str = "user", metadata: dict | None = None) -> Person:
    email = f"{label}-{uuid.uuid4().hex[:8]}@example.com"
    return Person(create_user(url, email, metadata or {"full_name": label.title()}), email)


def make_team(api: PostgREST, url: str, *, seat_limit: int = 50, slug: str | None = None) -> Team:
    owner = new_person(url, "owner")
    org = owner.session(api).rpc(
        "create_organization", name="Maison Test", slug=slug or f"maison-{uuid.uuid4().hex[:10]}"
    )
    team = Team(api, url, uuid.UUID(org["id"]), {"owner": owner})
    team.superuser("update public.organizations set seat_limit = %s where id = %s", [seat_limit, team.org_id])
    for role in MEMBER_ROLES[:-1]:
        team.people[role] = team.add_member(role)
    team.people["outsider"] = new_person(url, "outsider")
    return team

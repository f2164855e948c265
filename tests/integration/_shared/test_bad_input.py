"""Bad input, everywhere: every public RPC an API role can call, read from the catalog, gets each
argument replaced in turn by nulls, empty strings, 10 kB strings, malformed uuids, negative and
huge numbers, bad emails, unusual unicode (NUL is impossible in text: combining marks, RTL text,
bidi overrides, emoji), nested arrays and non-arrays. Each call must either fail with a documented
4xx SQLSTATE (22xxx, 23xxx, 42501, LUxxx; never P0001 nor anything PostgREST maps to 5xx) and
write nothing, public and private tables alike, or, for the few values that are legitimate for
that argument (listed in MAY_SUCCEED), succeed. Direct writes (PATCH) get the same treatment.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from psycopg.types.json import Jsonb

from tests.support.pg import superuser
from tests.support.postgrest import PostgrestError, Session
from tests.support.team import Team

TEN_KB = "x" * 10_240

# (label, value) by argument type, as format_type names it
BAD_VALUES: dict[str, list[tuple[str, Any]]] = {
    "text": [
        ("null", None),
        ("empty", ""),
        ("blank", "   "),
        ("10kB", TEN_KB),
        ("10kB-multibyte", "é" * 5_120),
        ("combining", "e\u0301\u0302\u0303" * 3),
        ("rtl", "שלום עולם"),
        ("bidi-override", "\u202eevil"),
        ("emoji", "😀🎨"),
        ("control", "a\x07b"),
        ("bad-email-no-domain", "a@"),
        ("bad-email-no-local", "@example.com"),
        ("bad-email-space", "a b@example.com"),
        ("malformed-uuid", "not-a-uuid"),
    ],
    "uuid": [
        ("null", None),
        ("empty", ""),
        ("malformed-uuid", "not-a-uuid"),
        ("almost-uuid", "00000000-0000-0000-0000-00000000000g"),
        ("10kB", TEN_KB),
        ("unknown-uuid", "00000000-0000-4000-8000-000000000000"),
        ("number", -1),
    ],
    "integer": [
        ("null", None),
        ("negative", -1),
        ("zero", 0),
        ("int-overflow", 2**31),
        ("huge", 10**30),
        ("fraction", 1.5),
        ("empty", ""),
        ("10kB", TEN_KB),
    ],
    "boolean": [("null", None), ("empty", ""), ("word", "maybe"), ("number", 2)],
    "timestamp with time zone": [
        ("null", None),
        ("empty", ""),
        ("garbage", "not a date"),
        ("past", "1900-01-01T00:00:00Z"),
        ("10kB", TEN_KB),
    ],
    "text[]": [
        ("null", None),
        ("empty-array", []),
        ("nested", [["read"]]),
        ("2-D", [["read", "write"], ["orders", "designs"]]),
        ("10kB-item", [TEN_KB]),
        ("10k-items", ["read"] * 10_000),
        ("null-item", [None]),
        ("empty-item", [""]),
        ("not-an-array", "read"),
        ("object", {"read": True}),
    ],
    "enum": [("null", None), ("empty", ""), ("unknown", "bogus"), ("10kB", TEN_KB), ("number", 3)],
    "jsonb": [("null", None), ("array", [1, 2]), ("string", "x"), ("number", 3), ("10kB", {"x": TEN_KB})],
}

FREE_TEXT = {"combining", "rtl", "emoji", "bad-email-no-domain", "bad-email-no-local", "bad-email-space"}
FREE_TEXT |= {"malformed-uuid"}

# (rpc, argument) -> labels with which the call is legitimate and may succeed
MAY_SUCCEED: dict[tuple[str, str], set[str]] = {
    ("heartbeat", "device_name"): {"null"} | FREE_TEXT,
    ("heartbeat", "device_type"): {"null"},
    ("set_status", "status"): {"null"},
    ("create_organization", "name"): FREE_TEXT,
    ("create_organization", "slug"): {"malformed-uuid"},  # "not-a-uuid" is a fine slug
    ("create_api_key", "name"): FREE_TEXT,
    ("create_api_key", "scopes"): {"null", "empty-array"},
    ("create_api_key", "rate_limit"): {"null"},
    ("create_api_key", "expires_at"): {"null"},
    ("create_invitation", "custom_role_id"): {"null"},
    # internationalised addresses (RFC 6531) are addresses
    ("create_invitation", "email"): {"combining", "rtl", "emoji"},
    # a view with no duration, or one of zero seconds
    ("record_ar_view", "session_seconds"): {"null", "zero"},
    ("place_order", "idempotency_key"): {"null", "malformed-uuid"},  # "not-a-uuid" is a fine key
    ("place_order", "shipping_address"): {"null"},
    ("place_order", "currency"): {"null"},  # the products' currency
    ("place_order", "customer_email"): {"null", "combining", "rtl", "emoji"},  # null: the signed-in address
    ("place_order", "customer_name"): {"null"} | FREE_TEXT,
    ("place_order", "discount_code"): {"null"},
    # an optional free-text note; a null filter is the default, every event
    ("create_webhook_endpoint", "description"): {"null", "empty", "blank"} | FREE_TEXT,
    ("create_webhook_endpoint", "event_types"): {"null"},
    ("rotate_webhook_secret", "overlap_seconds"): {"zero"},  # no overlap: the old secret stops at once
    # any text is a prefix to look for (none of these matches an order)
    ("search_orders", "query"): FREE_TEXT,
}

ALLOWED_CLASSES = ("22", "23", "LU")


def acceptable(error: PostgrestError) -> bool:
    """A documented client error: 22xxx, 23xxx, 42501 or a Luneo code, answered 4xx."""
    return 400 <= error.status < 500 and (
        error.sqlstate.startswith(ALLOWED_CLASSES) or error.sqlstate == "42501"
    )


def callable_rpcs(url: str) -> dict[str, list[tuple[str, str, bool]]]:
    """Public functions anon or authenticated may execute: name -> [(argument, type, has default)]."""
    rows = superuser(
        url,
        """
        select
            p.proname as name,
            coalesce(p.proargnames, '{}') as names,
            array(select format_type(t, null) from unnest(p.proargtypes) as t) as types,
            array(
                select t.typtype = 'e'
                from unnest(p.proargtypes::oid[]) with ordinality as a (type_oid, i)
                inner join pg_type as t on t.oid = a.type_oid
                order by a.i
            ) as enums,
            p.pronargs as nargs,
            p.pronargdefaults as ndefaults
        from pg_proc as p
        where
            p.pronamespace = 'public'::regnamespace
            and (has_function_privilege('anon', p.oid, 'execute')
                or has_function_privilege('authenticated', p.oid, 'execute'))
        """,
    )
    found = {}
    for row in rows:
        args = []
        for i, (name, type_name, enum) in enumerate(
            zip(row["names"], row["types"], row["enums"], strict=False)
        ):
            args.append((name, "enum" if enum else type_name, i >= row["nargs"] - row["ndefaults"]))
        found[row["name"]] = args
    return found


def table_counts(url: str) -> dict[str, int]:
    """Rows in every table of public, private and auth (as superuser)."""
    tables = [
        r["name"]
        for r in superuser(
            url,
            "select format('%I.%I', n.nspname, c.relname) as name from pg_class as c"
            " join pg_namespace as n on n.oid = c.relnamespace"
            " where c.relkind in ('r', 'p') and n.nspname in ('public', 'private', 'auth') order by 1",
        )
    ]
    query = "select " + ", ".join(f'(select count(*) from {t}) as "{t}"' for t in tables)
    return superuser(url, query)[0]


class World:
    """Valid arguments for every RPC, fresh for each call, on the `team` organisation."""

    def __init__(self, team: Team) -> None:
        self.team = team
        owner = team.as_("owner")
        self.invitation = owner.rpc(
            "create_invitation", organization_id=team.org_id, email="guest@example.com"
        )
        self.api_key = owner.rpc("create_api_key", organization_id=team.org_id, name="Existing")["api_key"]
        (product,) = owner.insert(
            "products", {"organization_id": team.org_id, "sku": "AR-1", "name": "Ring", "price_amount": 1}
        )
        (model,) = owner.insert(
            "ar_models",
            {"organization_id": team.org_id, "product_id": product["id"], "name": "Ring", "format": "glb",
             "storage_path": f"{team.org_id}/ring.glb", "size_bytes": 1000},
        )  # fmt: skip
        self.ar_experience = owner.insert(
            "ar_experiences",
            {"organization_id": team.org_id, "ar_model_id": model["id"], "name": "Try it", "is_public": True},
        )[0]
        self.design = owner.insert("designs", {"organization_id": team.org_id, "name": "Initials"})[0]
        self.template = owner.insert(
            "templates", {"organization_id": team.org_id, "name": "Monogram", "is_published": True}
        )[0]
        (self.product,) = superuser(
            team.url,
            "insert into public.products (organization_id, sku, name, price_amount, stock, status)"
            " values (%s, 'BAD-INPUT', 'Ring', 9900, 1000000, 'active') returning id",
            [team.org_id],
        )
        self.endpoint = owner.rpc(
            "create_webhook_endpoint", organization_id=team.org_id, url="https://hooks.example.com/x"
        )["webhook_endpoint"]
        (event,) = superuser(
            team.url, "select private.emit_event('order.created', %s, '{}') as id", [team.org_id]
        )
        (self.delivery,) = superuser(
            team.url, "select id from public.webhook_deliveries where event_id = %s", [event["id"]]
        )
        # the owner was told of each member joining
        (self.notification,) = superuser(
            team.url,
            "select id from public.notifications where user_id = %s order by created_at limit 1",
            [team.people["owner"].id],
        )
        superuser(
            team.url,
            "insert into public.discount_codes (organization_id, code, kind, percent_bp) values (%s, 'WELCOME', 'percent', 1000)",
            [team.org_id],
        )

    def valid(self, rpc: str) -> dict[str, Any]:
        team, tag = self.team, uuid.uuid4().hex[:10]
        baselines: dict[str, Callable[[], dict[str, Any]]] = {
            "heartbeat": lambda: {"device_name": "Laptop", "device_type": "desktop"},
            "set_status": lambda: {"status": "away"},
            "export_my_data": dict,
            "member_profiles": dict,
            "request_account_erasure": lambda: {"cancel": False},
            "create_organization": lambda: {"name": "Maison", "slug": f"maison-{tag}"},
            "transfer_ownership": lambda: {
                "organization_id": team.org_id,
                "new_owner_id": team.people["admin"].id,
            },
            "leave_organization": lambda: {"organization_id": team.org_id},
            "create_invitation": lambda: {
                "organization_id": team.org_id,
                "email": f"new-{tag}@example.com",
                "role": "viewer",
                "custom_role_id": None,
            },
            "accept_invitation": lambda: {"token": self.invitation["token"]},
            "decline_invitation": lambda: {"token": self.invitation["token"]},
            "revoke_invitation": lambda: {"invitation_id": self.invitation["invitation"]["id"]},
            "resend_invitation": lambda: {"invitation_id": self.invitation["invitation"]["id"]},
            "create_api_key": lambda: {
                "organization_id": team.org_id,
                "name": "Key",
                "scopes": ["read"],
                "rate_limit": 100,
                "expires_at": None,
            },
            "revoke_api_key": lambda: {"api_key_id": self.api_key["id"]},
            "create_webhook_endpoint": lambda: {
                "organization_id": team.org_id,
                "url": "https://hooks.example.com/new",
                "description": "ERP",
                "event_types": ["order.*"],
            },
            "rotate_webhook_secret": lambda: {"endpoint_id": self.endpoint["id"], "overlap_seconds": 60},
            "send_test_webhook": lambda: {"endpoint_id": self.endpoint["id"]},
            "replay_webhook_delivery": lambda: {"delivery_id": self.delivery["id"]},
            "mark_notification_read": lambda: {"notification_id": self.notification["id"]},
            "get_ar_experience": lambda: {"slug": self.ar_experience["slug"]},
            "record_ar_view": lambda: {"slug": self.ar_experience["slug"], "session_seconds": 30},
            "restore_design_version": lambda: {"design_id": self.design["id"], "version": 1},
            "record_template_view": lambda: {"template_id": self.template["id"]},
            "record_template_download": lambda: {"template_id": self.template["id"]},
            "rate_template": lambda: {"template_id": self.template["id"], "stars": 4},
            "search_orders": lambda: {"organization_id": team.org_id, "query": "LUN-", "max_rows": 10},
            "billing_context": lambda: {"organization_id": team.org_id},
            "organization_usage": lambda: {"organization_id": team.org_id},
            "place_order": lambda: {
                "organization_id": team.org_id,
                "items": [{"product_id": str(self.product["id"]), "quantity": 1}],
                "idempotency_key": f"key-{tag}",
                "shipping_address": {"line1": "1 rue de la Paix", "country": "FR"},
                "currency": "EUR",
                "customer_email": f"client-{tag}@example.com",
                "customer_name": "Client",
                "discount_code": "WELCOME",
            },
        }
        assert rpc in baselines, (
            f"public RPC {rpc} has no valid arguments in tests/integration/_shared/test_bad_input.py"
        )
        return baselines[rpc]()


def test_every_rpc_refuses_bad_arguments_with_a_4xx_and_writes_nothing(team: Team) -> None:
    url = team.url
    rpcs = callable_rpcs(url)
    assert {"create_invitation", "create_api_key", "heartbeat", "request_account_erasure"} <= set(rpcs)
    world = World(team)
    session: Session = team.as_("owner")
    problems: list[str] = []
    calls = 0
    for rpc, args in sorted(rpcs.items()):
        if not args:
            session.rpc(rpc)  # nothing to spoil: the call works
            continue
        for name, type_name, _ in args:
            assert type_name in BAD_VALUES, f"{rpc}({name}): no bad values for type {type_name}"
            for label, value in BAD_VALUES[type_name]:
                call = {**world.valid(rpc), name: value}
                before = table_counts(url)
                calls += 1
                try:
                    session.rpc(rpc, **call)
                except PostgrestError as error:
                    if not acceptable(error):
                        problems.append(
                            f"{rpc}({name}={label}): {error.status} {error.sqlstate} {error.message}"
                        )
                    after = table_counts(url)
                    changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
                    if changed:
                        problems.append(f"{rpc}({name}={label}) failed yet wrote rows: {changed}")
                else:
                    if label not in MAY_SUCCEED.get((rpc, name), set()):
                        problems.append(f"{rpc}({name}={label}) was accepted")
    assert calls > 100
    assert problems == [], "\n".join(problems)


# =============================================================================================
# direct writes
# =============================================================================================

DIRECT_WRITES: list[tuple[str, str, dict[str, Any]]] = [
    ("profiles", "10kB-full_name", {"full_name": TEN_KB}),
    ("profiles", "bidi-full_name", {"full_name": "\u202eevil"}),
    ("profiles", "10kB-company", {"company": TEN_KB}),
    ("profiles", "10kB-avatar_url", {"avatar_url": "https://x/" + "a" * 10_240}),
    ("profiles", "10kB-locale", {"locale": "fr-" + "-".join(["abcd"] * 2048)}),
    ("profiles", "bad-timezone", {"timezone": "Mars/Base"}),
    ("profiles", "10kB-timezone", {"timezone": TEN_KB}),
    ("profiles", "onboarding-array", {"onboarding_state": Jsonb([1])}),
    ("profiles", "onboarding-string", {"onboarding_state": Jsonb("x")}),
    ("profiles", "onboarding-null-json", {"onboarding_state": Jsonb(None)}),
    ("profiles", "10kB-onboarding", {"onboarding_state": Jsonb({"x": "y" * 20_000})}),
    ("organizations", "10kB-name", {"name": TEN_KB}),
    ("organizations", "empty-name", {"name": ""}),
    ("organizations", "10kB-slug", {"slug": TEN_KB}),
    ("organizations", "unicode-slug", {"slug": "mai😀son"}),
    ("organizations", "branding-array", {"branding": Jsonb(["x"])}),
    ("organizations", "10kB-branding", {"branding": Jsonb({"x": TEN_KB})}),
    ("team_roles", "10kB-name", {"name": TEN_KB}),
    ("team_roles", "10kB-description", {"description": TEN_KB}),
    ("team_roles", "nested-permissions", {"permissions": [["organization.read"]]}),
    ("team_roles", "10kB-permission", {"permissions": [TEN_KB]}),
    ("team_roles", "null-permission", {"permissions": [None]}),
    ("api_keys", "10kB-name", {"name": TEN_KB}),
    ("api_keys", "nested-scopes", {"scopes": [["read"]]}),
    ("api_keys", "10k-scopes", {"scopes": ["read"] * 10_000}),
    ("api_keys", "unknown-scope", {"scopes": ["root"]}),
    ("api_keys", "zero-rate-limit", {"rate_limit": 0}),
]


@pytest.mark.parametrize(
    ("table", "label", "values"), DIRECT_WRITES, ids=[f"{t}-{label}" for t, label, _ in DIRECT_WRITES]
)
def test_direct_writes_with_bad_values_get_a_4xx_and_write_nothing(
    team: Team, table: str, label: str, values: dict[str, Any]
) -> None:
    admin = team.as_("admin", aal="aal2")
    if table == "profiles":
        row_id = team.people["admin"].id
    elif table == "organizations":
        row_id = team.org_id
        admin = team.as_("owner")
    elif table == "team_roles":
        row_id = admin.insert("team_roles", {"organization_id": team.org_id, "name": "Editors"})[0]["id"]
    else:
        row_id = admin.rpc("create_api_key", organization_id=team.org_id, name="CI")["api_key"]["id"]
    before = superuser(team.url, f"select * from public.{table} where id = %s", [row_id])
    counts = table_counts(team.url)
    with pytest.raises(PostgrestError) as caught:
        admin.update(table, values, id=row_id)
    assert acceptable(caught.value), caught.value
    assert superuser(team.url, f"select * from public.{table} where id = %s", [row_id]) == before
    assert table_counts(team.url) == counts

"""Run SQL the way PostgREST does, so RLS tests exercise exactly what the frontend gets.

The one PostgREST request emulation of the repository: the tests, the concurrency helpers and
the benchmarks (bench/) all open requests with `begin_request`. Each request is one transaction
(`read only` for GET and HEAD) whose first statement sets, with `set_config(..., true)`, the
search path, the role and `request.jwt.claims`, `request.headers`, `request.method` and
`request.path`, as PostgREST does; then the `db-pre-request` function runs, then the query.
As PostgREST reads it from the database, the pre-request function is by default the one set on
the `authenticator` role (`pgrst.db_pre_request`, for this database or for all), used when it
exists in the database; `PostgREST(url, pre_request=None)` runs none. RPCs are called with named arguments converted from JSON by the function's own
parameter types, as PostgREST does (`json_to_record`).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row


class PostgrestError(Exception):
    """A failed request, with the HTTP status PostgREST would answer."""

    def __init__(self, sqlstate: str, message: str, status: int, detail: str | None, hint: str | None):
        super().__init__(f"{status} {sqlstate}: {message}")
        self.sqlstate, self.message, self.status = sqlstate, message, status
        self.detail, self.hint = detail, hint


def fails(sqlstate: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> PostgrestError:
    """Run the request and return its error, asserting it failed with `sqlstate`."""
    with pytest.raises(PostgrestError) as caught:
        call(*args, **kwargs)
    assert caught.value.sqlstate == sqlstate, caught.value
    return caught.value


def http_status(sqlstate: str, role: str) -> int:
    """PostgREST's SQLSTATE -> HTTP status table (docs: API > Errors)."""
    if sqlstate.startswith("PT") and sqlstate[2:].isdigit():
        return int(sqlstate[2:])
    exact = {
        "23503": 409, "23505": 409, "25006": 405, "P0001": 400, "42883": 404, "42P01": 404,
        "42P17": 500, "53400": 500,
    }  # fmt: skip
    if sqlstate in exact:
        return exact[sqlstate]
    if sqlstate == "42501":
        return 401 if role == "anon" else 403
    prefixes = {
        "08": 503, "09": 500, "0L": 403, "0P": 403, "25": 500, "28": 403, "2D": 500, "38": 500,
        "39": 500, "3B": 500, "40": 500, "53": 503, "54": 500, "55": 500, "57": 500, "58": 500,
        "F0": 500, "HV": 500, "P0": 500, "XX": 500,
    }  # fmt: skip
    return prefixes.get(sqlstate[:2], 400)


@dataclass
class Request:
    """Who is calling: role, JWT claims and headers."""

    role: str
    claims: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


REQUEST_SETTINGS = (
    "select set_config('search_path', %s, true), set_config('role', %s, true),"
    " set_config('request.jwt.claims', %s, true), set_config('request.headers', %s, true),"
    " set_config('request.method', %s, true), set_config('request.path', %s, true)"
)


def request_statements(
    request: Request, *, method: str, path: str, read_only: bool, schema: str = "public"
) -> list[tuple[str, list[str] | None]]:
    """The statements that open a request's transaction, with their parameters: `begin`, then the
    settings (what begin_request sends; benchmarks driving pgbench render them as its script)."""
    headers = {k.lower(): v for k, v in request.headers.items()}
    settings = [
        f"{schema}, extensions",
        request.role,
        json.dumps(request.claims),
        json.dumps(headers),
        method,
        path,
    ]
    return [
        ("begin isolation level read committed" + (" read only" if read_only else ""), None),
        (REQUEST_SETTINGS, settings),
    ]


def begin_request(
    conn: psycopg.Connection[Any],
    request: Request,
    *,
    method: str,
    path: str,
    read_only: bool,
    schema: str = "public",
    pre_request: str | None = None,
) -> None:
    """Open a request's transaction on an autocommit connection, as PostgREST does; the caller
    runs its query, then `commit` (or closes the connection to roll back)."""
    for query, params in request_statements(
        request, method=method, path=path, read_only=read_only, schema=schema
    ):
        conn.execute(query, params)
    if pre_request:
        conn.execute(sql.SQL("select {}()").format(sql.SQL(pre_request)))


def as_postgrest_error(exc: psycopg.Error, role: str) -> PostgrestError:
    diag = exc.diag
    sqlstate = exc.sqlstate or ""
    return PostgrestError(
        sqlstate,
        diag.message_primary or str(exc),
        http_status(sqlstate, role),
        diag.message_detail,
        diag.message_hint,
    )


CONFIGURED = "configured"

CONFIGURED_PRE_REQUEST = r"""
select c.value
from pg_catalog.pg_db_role_setting as s
cross join lateral (
    select substr(setting, length('pgrst.db_pre_request=') + 1) as value
    from unnest(s.setconfig) as setting
    where setting like 'pgrst.db\_pre\_request=%%'
) as c
where
    s.setrole = to_regrole('authenticator')
    and s.setdatabase in (0, (select oid from pg_catalog.pg_database where datname = current_database()))
    and to_regproc(c.value) is not null
order by s.setdatabase desc
limit 1
"""


def configured_pre_request(url: str) -> str | None:
    """The db-pre-request function PostgREST would run: authenticator's `pgrst.db_pre_request`
    (this database's setting first, then the cluster's), when that function exists here."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(CONFIGURED_PRE_REQUEST).fetchone()
    return row[0] if row else None


class PostgREST:
    """Requests against one database, as anon, as a user or as service_role.

    `pre_request`: the db-pre-request function; by default the one configured on `authenticator`
    (`configured_pre_request`), looked up once; None runs none."""

    def __init__(self, url: str, *, pre_request: str | None = CONFIGURED, schema: str = "public") -> None:
        self.url = url
        self._pre_request = pre_request
        self.schema = schema

    @property
    def pre_request(self) -> str | None:
        if self._pre_request == CONFIGURED:
            self._pre_request = configured_pre_request(self.url)
        return self._pre_request

    # who

    def anon(self, headers: dict[str, str] | None = None) -> Session:
        return Session(self, Request("anon", {"role": "anon", "iss": "supabase"}, headers or {}))

    def service_role(self, headers: dict[str, str] | None = None) -> Session:
        return Session(
            self, Request("service_role", {"role": "service_role", "iss": "supabase"}, headers or {})
        )

    def user(
        self,
        user_id: uuid.UUID | str,
        email: str | None = None,
        *,
        aal: str = "aal1",
        app_metadata: dict[str, Any] | None = None,
        user_metadata: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Session:
        now = int(time.time())
        claims = {
            "iss": "supabase",
            "sub": str(user_id),
            "aud": "authenticated",
            "exp": now + 3600,
            "iat": now,
            "email": email or "",
            "phone": "",
            "role": "authenticated",
            "aal": aal,
            "amr": [{"method": "password" if aal == "aal1" else "totp", "timestamp": now}],
            "session_id": str(uuid.uuid4()),
            "is_anonymous": False,
            "app_metadata": app_metadata or {"provider": "email", "providers": ["email"]},
            "user_metadata": user_metadata or {},
        }
        return Session(self, Request("authenticated", claims, headers or {}))


class Session:
    def __init__(self, api: PostgREST, request: Request) -> None:
        self.api = api
        self.request = request

    def _run(
        self,
        method: str,
        path: str,
        query: sql.Composable | str,
        params: Any = None,
        *,
        read_only: bool | None = None,
    ) -> list[dict]:
        """One request. GET and HEAD run READ ONLY, as PostgREST does (docs: References > Transactions)."""
        if read_only is None:
            read_only = method in ("GET", "HEAD")
        with psycopg.connect(self.api.url, autocommit=True, row_factory=dict_row) as conn:
            try:
                begin_request(
                    conn,
                    self.request,
                    method=method,
                    path=path,
                    read_only=read_only,
                    schema=self.api.schema,
                    pre_request=self.api.pre_request,
                )
                cur = conn.execute(query, params)
                rows = cur.fetchall() if cur.description else []
                conn.execute("commit")
                return rows
            except psycopg.Error as exc:  # the connection closes, which rolls the request back
                raise as_postgrest_error(exc, self.request.role) from exc

    def sql(self, query: str, params: Any = None, *, method: str = "GET", path: str = "/") -> list[dict]:
        """Any SQL inside the request (for table reads and writes beyond the helpers below)."""
        return self._run(method, path, query, params)

    def _table(self, table: str) -> sql.Composable:
        return sql.SQL("{}.{}").format(sql.Identifier(self.api.schema), sql.Identifier(table))

    def select(self, table: str, **filters: Any) -> list[dict]:
        where, params = _where(filters)
        return self._run(
            "GET", f"/{table}", sql.SQL("select * from {}{}").format(self._table(table), where), params
        )

    def insert(self, table: str, row: dict[str, Any]) -> list[dict]:
        query = sql.SQL("insert into {} ({}) values ({}) returning *").format(
            self._table(table),
            sql.SQL(", ").join(map(sql.Identifier, row)),
            sql.SQL(", ").join(sql.Placeholder() * len(row)),
        )
        return self._run("POST", f"/{table}", query, list(row.values()))

    def update(self, table: str, values: dict[str, Any], **filters: Any) -> list[dict]:
        sets = sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder()) for k in values
        )
        where, params = _where(filters)
        query = sql.SQL("update {} set {}{} returning *").format(self._table(table), sets, where)
        return self._run("PATCH", f"/{table}", query, list(values.values()) + params)

    def delete(self, table: str, **filters: Any) -> list[dict]:
        where, params = _where(filters)
        query = sql.SQL("delete from {}{} returning *").format(self._table(table), where)
        return self._run("DELETE", f"/{table}", query, params)

    def rpc(self, function: str, **args: Any) -> Any:
        """POST /rpc/<function> with a JSON body of named arguments."""
        signature = _signature(self.api.url, self.api.schema, function, set(args))
        call = sql.SQL("{}.{}({})").format(
            sql.Identifier(self.api.schema),
            sql.Identifier(function),
            sql.SQL(", ").join(sql.SQL("{0} := _.{0}").format(sql.Identifier(a)) for a in args),
        )
        record = sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(a), sql.SQL(signature.types[a])) for a in args
        )
        source = (
            sql.SQL("json_to_record(%s::json) as _({})").format(record) if args else sql.SQL("(select) as _")
        )
        if signature.returns_set:
            query = sql.SQL(
                "select coalesce(json_agg(r), '[]') as result from {} cross join lateral {} as r"
            ).format(source, call)
        else:
            query = sql.SQL("select to_json({}) as result from {}").format(call, source)
        rows = self._run(
            "POST",
            f"/rpc/{function}",
            query,
            [json.dumps(args, default=str)] if args else None,
            read_only=signature.volatility != "v",
        )
        return rows[0]["result"]


def _where(filters: dict[str, Any]) -> tuple[sql.Composable, list[Any]]:
    """` where a = %s and b is null` (PostgREST's `eq.` and `is.null` filters), or nothing.

    `=`, as PostgREST sends it, so a filter on a key reaches its index (`is not distinct from`
    cannot use one: every row would pass the table's policies first)."""
    if not filters:
        return sql.SQL(""), []
    conditions = sql.SQL(" and ").join(
        sql.SQL("{} is null").format(sql.Identifier(k))
        if v is None
        else sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder())
        for k, v in filters.items()
    )
    return sql.SQL(" where {}").format(conditions), [v for v in filters.values() if v is not None]


@dataclass(frozen=True)
class _Signature:
    types: dict[str, str]
    returns_set: bool
    volatility: str


def _signature(url: str, schema: str, function: str, names: set[str]) -> _Signature:
    """Pick the overload whose parameter names cover the arguments, as PostgREST does."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            """
            select p.proargnames, p.proargmodes, p.pronargs, p.pronargdefaults, p.proretset, p.provolatile,
                   array(select format_type(t, null) from unnest(p.proargtypes) as t)
            from pg_proc as p
            where p.pronamespace = %s::regnamespace and p.proname = %s
            """,
            [schema, function],
        ).fetchall()
    for arg_names, modes, nargs, ndefaults, retset, volatility, types in rows:
        inputs = [
            n for n, m in zip(arg_names or [], modes or ["i"] * nargs, strict=False) if m in ("i", "b", "v")
        ]
        required = set(inputs[: nargs - ndefaults])
        if required <= names <= set(inputs):
            return _Signature(dict(zip(inputs, types, strict=False)), retset, volatility)
    raise PostgrestError(
        "PGRST202",
        f"Could not find the function {schema}.{function}({', '.join(sorted(names))})",
        404,
        None,
        None,
    )

-- The session each file starts from.
-- Named queries of luneo.core.migrations (sections start with "-- name --").

-- connection_defaults --
-- Database and role settings (`alter database|role ... set`) as a new connection of the session
-- user gets them, lowest precedence first (all databases and roles, this database, this role,
-- both). Settings this user may not change in a session are left out.
select
    split_part(c.setting, '=', 1) as name,
    substr(c.setting, strpos(c.setting, '=') + 1) as value
from pg_db_role_setting as s
cross join lateral unnest(s.setconfig) with ordinality as c (setting, n)
left join pg_settings as p on split_part(c.setting, '=', 1) = p.name
where
    s.setdatabase in (
        0, (
            select d.oid from pg_database as d
            where d.datname = current_database()
        )
    )
    and s.setrole in (
        0, (
            select r.oid from pg_roles as r
            where r.rolname = session_user
        )
    )
    and (
        p.context is null
        or p.context = 'user'
        or (
            p.context = 'superuser' and (
                select r.rolsuper from pg_roles as r
                where r.rolname = session_user
            )
        )
    )
order by s.setrole <> 0, s.setdatabase <> 0, c.n;

-- set_settings --
-- Each name to its value, for the session (one round trip; names are distinct).
select count(set_config(s.name, s.value, false)) as settings
from unnest(%(names)s::text[], %(values)s::text[]) as s (name, value);

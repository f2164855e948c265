-- Security and performance advisor: one query per rule, each section "-- advisor_<rule> --".
-- Loaded as named queries of luneo.core.checks and run by luneo.core.checks.advisor.advise().
-- Every query returns (name, level, object, detail) and looks only at the schemas Luneo owns:
-- system schemas, the Supabase-owned schemas (see advisor_schemas) and extension members are left out.
-- `public` is the schema PostgREST exposes.

-- advisor_rls_disabled_in_public --
-- A table the API can reach whose rows nothing protects.
select
    'rls_disabled_in_public' as name,
    'error' as level,
    n.nspname || '.' || c.relname as object,
    format(
        'table %%s.%%s is exposed through the API but row level security is disabled; '
        'run `alter table %%s.%%s enable row level security` and add policies',
        n.nspname, c.relname, n.nspname, c.relname
    ) as detail
from pg_class as c
inner join pg_namespace as n on c.relnamespace = n.oid
where
    n.nspname = 'public'
    and c.relkind in ('r', 'p')
    and not c.relrowsecurity
    and not exists (
        select from pg_depend as d
        where d.objid = c.oid and d.deptype = 'e'
    );

-- advisor_policy_exists_rls_disabled --
-- Policies written for a table that does not enforce them.
select
    'policy_exists_rls_disabled' as name,
    'error' as level,
    n.nspname || '.' || c.relname as object,
    format(
        'table %%s.%%s has policies (%%s) but row level security is disabled, so none of them applies',
        n.nspname,
        c.relname,
        (
            select string_agg(p.polname, ', ' order by p.polname) from pg_policy as p
            where p.polrelid = c.oid
        )
    ) as detail
from pg_class as c
inner join pg_namespace as n on c.relnamespace = n.oid
where
    n.oid = any(%(schemas)s)  -- noqa: RF02
    and c.relkind in ('r', 'p')
    and not c.relrowsecurity
    and exists (
        select from pg_policy as p
        where p.polrelid = c.oid
    );

-- advisor_security_definer_view --
-- A view runs with its owner's rights (bypassing the caller's RLS) unless security_invoker is set.
select
    'security_definer_view' as name,
    'error' as level,
    n.nspname || '.' || c.relname as object,
    format(
        'view %%s.%%s runs with the rights of its owner and bypasses the caller''s row level security; '
        'set `with (security_invoker = true)`',
        n.nspname, c.relname
    ) as detail
from pg_class as c
inner join pg_namespace as n on c.relnamespace = n.oid
where
    n.nspname = 'public'
    and c.relkind = 'v'
    and not exists (
        select from pg_depend as d
        where d.objid = c.oid and d.deptype = 'e'
    )
    and not exists (
        select from unnest(c.reloptions) as o (opt)
        where
            lower(o.opt) in (
                'security_invoker=true', 'security_invoker=on', 'security_invoker=1', 'security_invoker=yes'
            )
    );

-- advisor_auth_rls_initplan --
-- auth.<fn>() or current_setting() called bare in a policy runs once per row; wrapped in a
-- scalar subquery `(select auth.uid())` it runs once per statement (an initplan).
-- The `auth.` prefix is optional: pg_get_expr leaves it out when `auth` is on the search_path.
with policies as (
    select
        n.nspname,
        c.relname,
        p.polname,
        coalesce(pg_get_expr(p.polqual, p.polrelid), '') as qual,
        coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') as with_check
    from pg_policy as p
    inner join pg_class as c on p.polrelid = c.oid
    inner join pg_namespace as n on c.relnamespace = n.oid
    where
        n.oid = any(%(schemas)s)  -- noqa: RF02
),

bare_calls as (
    select
        pol.nspname,
        pol.relname,
        pol.polname,
        regexp_replace(
            lower(pol.qual || ' ' || pol.with_check),
            'select\s+\(*\s*((auth\.)?(uid|jwt|role|email)\(\)|current_setting\([^()]*\))',
            'select wrapped',
            'g'
        ) as remaining
    from policies as pol
)

select
    'auth_rls_initplan' as name,
    'warning' as level,
    b.nspname || '.' || b.relname || '.' || b.polname as object,
    format(
        'policy "%%s" on %%s.%%s calls auth.<function>() or current_setting() for every row; '
        'wrap the call as `(select auth.uid())` so it runs once per statement',
        b.polname, b.nspname, b.relname
    ) as detail
from bare_calls as b
where b.remaining ~ '(^|[^a-z0-9_.]|auth\.)(uid|jwt|role|email)\(\)|(^|[^a-z0-9_.])current_setting\(';

-- advisor_function_search_path_mutable --
-- Without a pinned search_path, a function resolves names through the caller's search_path.
select
    'function_search_path_mutable' as name,
    'warning' as level,
    format('%%s.%%s(%%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) as object,
    format(
        'function %%s.%%s(%%s) has no fixed search_path; add `set search_path = ''''` and qualify every name',
        n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)
    ) as detail
from pg_proc as p
inner join pg_namespace as n on p.pronamespace = n.oid
where
    n.oid = any(%(schemas)s)  -- noqa: RF02
    and p.prokind in ('f', 'p')
    and not exists (
        select from pg_depend as d
        where d.objid = p.oid and d.deptype = 'e'
    )
    and not exists (
        select from unnest(p.proconfig) as cfg (setting)
        where cfg.setting like 'search\_path=%%'
    );

-- advisor_multiple_permissive_policies --
-- Permissive policies are OR-ed and each one is evaluated: two for the same role and command
-- cost twice and are harder to reason about than one.
with api_roles as (
    select
        r.oid,
        r.rolname
    from pg_roles as r
    where
        r.rolname in ('anon', 'authenticated')
        or r.oid in (select unnest(p.polroles) from pg_policy as p)
),

commands as (
    select
        x.cmd,
        x.label
    from (values ('r', 'select'), ('a', 'insert'), ('w', 'update'), ('d', 'delete')) as x (cmd, label)
),

applicable as (
    select
        n.nspname,
        c.relname,
        r.rolname,
        k.label,
        p.polname
    from pg_policy as p
    inner join pg_class as c on p.polrelid = c.oid
    inner join pg_namespace as n on c.relnamespace = n.oid
    inner join commands as k on p.polcmd in (k.cmd, '*')
    inner join api_roles as r
        on
            0 = any(p.polroles)
            or exists (
                select from unnest(p.polroles) as pr (oid)
                where pg_has_role(r.oid, pr.oid, 'member')
            )
    where
        p.polpermissive
        and n.oid = any(%(schemas)s)  -- noqa: RF02
)

select
    'multiple_permissive_policies' as name,
    'warning' as level,
    a.nspname || '.' || a.relname as object,
    format(
        'table %%s.%%s has %%s permissive policies for role %%s and %%s: %%s; merge them into one',
        a.nspname, a.relname, count(*), a.rolname, a.label, string_agg('"' || a.polname || '"', ', ' order by a.polname)
    ) as detail
from applicable as a
group by a.nspname, a.relname, a.rolname, a.label
having count(*) > 1;

-- advisor_unindexed_foreign_keys --
-- A foreign key whose columns do not lead an index makes deletes on the parent and joins slow.
select
    'unindexed_foreign_keys' as name,
    'warning' as level,
    n.nspname || '.' || c.relname || '.' || k.conname as object,
    format(
        'foreign key %%s on %%s.%%s (%%s) has no index starting with its columns; create one',
        k.conname,
        n.nspname,
        c.relname,
        (
            select string_agg(a.attname, ', ' order by u.ord)
            from unnest(k.conkey) with ordinality as u (attnum, ord)
            inner join pg_attribute as a on a.attrelid = k.conrelid and u.attnum = a.attnum
        )
    ) as detail
from pg_constraint as k
inner join pg_class as c on k.conrelid = c.oid
inner join pg_namespace as n on c.relnamespace = n.oid
where
    k.contype = 'f'
    and n.oid = any(%(schemas)s)  -- noqa: RF02
    and not exists (
        select from pg_depend as d
        where d.objid = c.oid and d.deptype = 'e'
    )
    and not exists (
        select from pg_index as i
        where
            i.indrelid = k.conrelid
            and i.indpred is null
            and i.indnkeyatts >= cardinality(k.conkey)
            and (
                select array_agg(x.attnum order by x.attnum)
                from unnest((i.indkey::int2[])[0:cardinality(k.conkey) - 1]) as x (attnum)
            ) = (select array_agg(y.attnum order by y.attnum) from unnest(k.conkey) as y (attnum))
    );

-- advisor_rls_enabled_no_policy --
-- RLS on and no policy: the API roles see nothing. Fine for internal tables, worth a look otherwise.
select
    'rls_enabled_no_policy' as name,
    'info' as level,
    n.nspname || '.' || c.relname as object,
    format(
        'table %%s.%%s has row level security enabled but no policy, so only roles that bypass RLS can use it',
        n.nspname, c.relname
    ) as detail
from pg_class as c
inner join pg_namespace as n on c.relnamespace = n.oid
where
    n.oid = any(%(schemas)s)  -- noqa: RF02
    and c.relkind in ('r', 'p')
    and c.relrowsecurity
    and not exists (
        select from pg_depend as d
        where d.objid = c.oid and d.deptype = 'e'
    )
    and not exists (
        select from pg_policy as p
        where p.polrelid = c.oid
    );

-- advisor_security_definer_function_exposed --
-- A security definer function in the exposed schema is an RPC endpoint running with its
-- owner's rights; the API roles should not be able to call it.
select
    'security_definer_function_exposed' as name,
    'warning' as level,
    format('%%s.%%s(%%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) as object,
    format(
        'security definer function %%s.%%s(%%s) is executable by %%s through the API; '
        'move it to private or revoke execute from %%s',
        n.nspname,
        p.proname,
        pg_get_function_identity_arguments(p.oid),
        string_agg(r.rolname, ', ' order by r.rolname),
        string_agg(r.rolname, ', ' order by r.rolname)
    ) as detail
from pg_proc as p
inner join pg_namespace as n on p.pronamespace = n.oid
inner join pg_roles as r on r.rolname in ('anon', 'authenticated')
where
    n.nspname = 'public'
    and p.prosecdef
    and p.prorettype not in ('trigger'::regtype, 'event_trigger'::regtype)
    and not exists (
        select from pg_depend as d
        where d.objid = p.oid and d.deptype = 'e'
    )
    and has_function_privilege(r.oid, p.oid, 'execute')
group by n.nspname, p.proname, p.oid;

-- advisor_extension_in_public --
-- Extensions installed in public add their objects to the API; install them in `extensions`.
select
    'extension_in_public' as name,
    'warning' as level,
    e.extname as object,
    format(
        'extension %%s is installed in public, which exposes its objects; '
        'use `alter extension %%s set schema extensions`',
        e.extname, e.extname
    ) as detail
from pg_extension as e
inner join pg_namespace as n on e.extnamespace = n.oid
where n.nspname = 'public';

-- advisor_schemas --
-- The oids of the schemas Luneo owns: neither system nor Supabase-owned. Every rule
-- takes them as its `schemas` parameter.
select coalesce(array_agg(n.oid), '{}')
from pg_namespace as n
where
    n.nspname not like 'pg\_%%'
    and n.nspname <> 'information_schema'
    and n.nspname <> all(%(excluded)s);

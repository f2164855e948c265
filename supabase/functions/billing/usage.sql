-- Usage and quotas: what an organisation's plan allows, counted and enforced where the
-- database sees the use (designs created per month, here; seats in teams/members.sql through
-- seat_limit; API calls per hour in api_keys/api_keys.sql), and organization_usage() to show it.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.
--
-- Errors (docs/errors.md): LU401 monthly design quota reached.

-- == designs per month ===========================================================================

create or replace function private.tg_count_design_usage()
returns trigger
language plpgsql
-- definer: usage_metrics is written by this trigger only
security definer
set search_path = ''
as $$
declare
    this_month timestamptz := date_trunc('month', pg_catalog.now(), 'UTC');
    used bigint;
    allowed integer;
begin
    -- the counter row's lock serialises an organisation's concurrent inserts: the quota cannot be overrun
    insert into public.usage_metrics as u (organization_id, metric, period_start, value)
    values (new.organization_id, 'designs', this_month, 1)
    on conflict (organization_id, metric, period_start) do update set value = u.value + 1, updated_at = pg_catalog.now()
    returning u.value into used;
    select p.designs_per_month into allowed
    from public.organizations as o inner join public.plans as p on p.id = o.plan
    where o.id = new.organization_id;
    if used > allowed then
        raise exception using errcode = 'LU401', message = 'monthly design quota reached',
            detail = format('the plan allows %s designs a month', allowed),
            hint = 'Upgrade the plan (billing), or wait for next month.';
    end if;
    return null;
end;
$$;

comment on function private.tg_count_design_usage() is
'Trigger _300_count_usage on designs: counts the design in usage_metrics (designs, this month, UTC) and '
'refuses it past the plan''s designs_per_month (LU401), whoever inserts.';

revoke execute on function private.tg_count_design_usage() from public, anon, authenticated;

create or replace trigger _300_count_usage after insert on public.designs
for each row execute function private.tg_count_design_usage();

-- == organization_usage: every limit, and what is used of it =====================================

create or replace function private.organization_usage(organization_id uuid)
returns table (metric text, used bigint, quota bigint, period_start timestamptz, period_end timestamptz)
language plpgsql
stable
-- definer: counts rows (members, API key calls, files) the caller may not read one by one
security definer
set search_path = ''
as $$
declare
    org public.organizations;
    plan public.plans;
    this_month timestamptz := date_trunc('month', pg_catalog.now(), 'UTC');
    this_hour timestamptz := date_trunc('hour', pg_catalog.now());
begin
    perform private.require_permission(organization_usage.organization_id, 'billing.read');
    select o.* into org from public.organizations as o where o.id = organization_usage.organization_id;
    select p.* into plan from public.plans as p where p.id = org.plan;
    return query
    select 'seats', private.seats_used(org.id)::bigint, org.seat_limit::bigint, null::timestamptz, null::timestamptz
    union all
    select
        'designs',
        coalesce((
            select u.value from public.usage_metrics as u
            where u.organization_id = org.id and u.metric = 'designs' and u.period_start = this_month
        ), 0),
        plan.designs_per_month::bigint, this_month, this_month + interval '1 month'
    union all
    -- the limit is per API key: the busiest key this hour
    select
        'api_calls_per_key',
        coalesce((
            select max(a.calls) from private.api_key_usage as a
            inner join public.api_keys as k on k.id = a.api_key_id
            where k.organization_id = org.id and a.hour = this_hour
        ), 0)::bigint,
        plan.api_calls_per_hour::bigint, this_hour, this_hour + interval '1 hour'
    union all
    select
        'storage_bytes',
        coalesce((
            select sum((s.metadata ->> 'size')::bigint) from storage.objects as s
            where s.bucket_id in ('design-assets', 'ar-models') and (storage.foldername(s.name))[1] = org.id::text
        ), 0)::bigint,
        plan.storage_bytes, null::timestamptz, null::timestamptz;
end;
$$;

comment on function private.organization_usage(uuid) is 'See public.organization_usage.';

revoke execute on function private.organization_usage(uuid) from public, anon;
grant execute on function private.organization_usage(uuid) to authenticated, service_role;

create or replace function public.organization_usage(organization_id uuid)
returns table (metric text, used bigint, quota bigint, period_start timestamptz, period_end timestamptz)
language sql
stable
set search_path = ''
as $$
    select * from private.organization_usage(organization_usage.organization_id)
$$;

comment on function public.organization_usage(uuid) is
'The organisation''s limits (quota null: unlimited) and their use: seats, designs this month, API calls this '
'hour of its busiest key, bytes stored. Needs billing.read.';

revoke execute on function public.organization_usage(uuid) from public, anon;
grant execute on function public.organization_usage(uuid) to authenticated, service_role;

-- Organisations: create, hand over ownership, leave, see teammates (RPC, POST /rpc/<name>).
-- Thin security-invoker wrappers: the logic and the reasons for security definer live in
-- supabase/functions/private/organizations.sql. Repeatable: re-applied by `luneo db apply` when changed.

create or replace function public.create_organization(name text, slug text)
returns public.organizations
language sql
security invoker
set search_path = ''
as $$
    select * from private.create_organization(create_organization.name, create_organization.slug)
$$;

comment on function public.create_organization(text, text) is
'Creates an organisation and makes the caller its owner. 23505 (HTTP 409) when the slug is taken.';

revoke execute on function public.create_organization(text, text) from public, anon;
grant execute on function public.create_organization(text, text) to authenticated;

create or replace function public.transfer_ownership(organization_id uuid, new_owner_id uuid)
returns public.team_members
language sql
security invoker
set search_path = ''
as $$
    select * from private.transfer_ownership(transfer_ownership.organization_id, transfer_ownership.new_owner_id)
$$;

comment on function public.transfer_ownership(uuid, uuid) is
'The calling owner makes an active admin owner and becomes admin. LU012 if the target is not an active admin.';

revoke execute on function public.transfer_ownership(uuid, uuid) from public, anon;
grant execute on function public.transfer_ownership(uuid, uuid) to authenticated;

create or replace function public.leave_organization(organization_id uuid)
returns void
language sql
security invoker
set search_path = ''
as $$
    select * from private.leave_organization(leave_organization.organization_id)
$$;

comment on function public.leave_organization(uuid) is
'Removes the caller from the organisation. LU010 for its last owner, LU009 when not a member.';

revoke execute on function public.leave_organization(uuid) from public, anon;
grant execute on function public.leave_organization(uuid) to authenticated;

create or replace function public.member_profiles()
returns table (id uuid, full_name text, avatar_url text, status public.presence_status)
language sql
stable
security invoker
set search_path = ''
as $$
    select * from private.member_profiles()
$$;

comment on function public.member_profiles() is
'Name, avatar and presence of everyone sharing an organisation with the caller (GET /rpc/member_profiles).';

revoke execute on function public.member_profiles() from public, anon;
grant execute on function public.member_profiles() to authenticated;

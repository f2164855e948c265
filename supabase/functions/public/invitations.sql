-- Invitations (RPC, POST /rpc/<name>). Errors LU001-LU008 are listed in the README.
-- Thin security-invoker wrappers: the logic and the reasons for security definer live in
-- supabase/functions/private/invitations.sql. Repeatable: re-applied by `luneo db apply` when changed.

create or replace function public.create_invitation(
    organization_id uuid,
    email text,
    role public.team_role default 'viewer',
    custom_role_id uuid default null
)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
    select * from private.create_invitation(create_invitation.organization_id, create_invitation.email, create_invitation.role, create_invitation.custom_role_id)
$$;

comment on function public.create_invitation(uuid, text, public.team_role, uuid) is
'Invites an address (invitations.manage). Returns {invitation, token}: the token is shown only here.';

revoke execute on function public.create_invitation(uuid, text, public.team_role, uuid) from public, anon;
grant execute on function public.create_invitation(uuid, text, public.team_role, uuid) to authenticated;

create or replace function public.accept_invitation(token text)
returns public.team_members
language sql
security invoker
set search_path = ''
as $$
    select * from private.accept_invitation(accept_invitation.token)
$$;

comment on function public.accept_invitation(text) is
'Joins with the invitation''s role; the caller''s email must match. Idempotent once accepted.';

revoke execute on function public.accept_invitation(text) from public, anon;
grant execute on function public.accept_invitation(text) to authenticated;

create or replace function public.decline_invitation(token text)
returns void
language sql
security invoker
set search_path = ''
as $$
    select * from private.decline_invitation(decline_invitation.token)
$$;

comment on function public.decline_invitation(text) is
'The invitee turns the invitation down.';

revoke execute on function public.decline_invitation(text) from public, anon;
grant execute on function public.decline_invitation(text) to authenticated;

create or replace function public.revoke_invitation(invitation_id uuid)
returns public.invitations
language sql
security invoker
set search_path = ''
as $$
    select * from private.revoke_invitation(revoke_invitation.invitation_id)
$$;

comment on function public.revoke_invitation(uuid) is
'Revokes an invitation (invitations.manage): its token stops working.';

revoke execute on function public.revoke_invitation(uuid) from public, anon;
grant execute on function public.revoke_invitation(uuid) to authenticated;

create or replace function public.resend_invitation(invitation_id uuid)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
    select * from private.resend_invitation(resend_invitation.invitation_id)
$$;

comment on function public.resend_invitation(uuid) is
'New token and 7-day expiry for a pending or expired invitation. Returns {invitation, token}.';

revoke execute on function public.resend_invitation(uuid) from public, anon;
grant execute on function public.resend_invitation(uuid) to authenticated;

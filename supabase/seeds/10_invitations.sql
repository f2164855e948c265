-- Demo invitations (after seed.sql): pending ones for the members screen, one expired. Their
-- tokens are stored as the schema stores them, SHA-256 through private.hash_token(); the clear
-- tokens are in docs/demo.md, to try accept_invitation() after signing up with the address.
-- Safe to run twice: fixed keys, `on conflict do nothing`.

insert into public.invitations (id, organization_id, email, role, status, invited_by, expires_at)
values
(
    '00000000-0000-4000-8000-0000000000d1',
    '00000000-0000-4000-8000-0000000000a1',
    'marc@studio-lumen.example',
    'designer',
    'pending',
    '00000000-0000-4000-8000-000000000003',
    now() + interval '7 days'
),
(
    '00000000-0000-4000-8000-0000000000d2',
    '00000000-0000-4000-8000-0000000000a1',
    'julie@maison-aurore.example',
    'viewer',
    'pending',
    '00000000-0000-4000-8000-000000000001',
    now() + interval '5 days'
),
(
    '00000000-0000-4000-8000-0000000000d3',
    '00000000-0000-4000-8000-0000000000a1',
    'paul@agence-nova.example',
    'manager',
    'pending',
    '00000000-0000-4000-8000-000000000003',
    now() + interval '2 days'
),
(
    '00000000-0000-4000-8000-0000000000d4',
    '00000000-0000-4000-8000-0000000000a1',
    'old-contact@agence-nova.example',
    'viewer',
    'expired',
    '00000000-0000-4000-8000-000000000001',
    now() - interval '3 days'
),
(
    '00000000-0000-4000-8000-0000000000d5',
    '00000000-0000-4000-8000-0000000000a2',
    'lucas@atelier-boreal.example',
    'admin',
    'pending',
    '00000000-0000-4000-8000-000000000007',
    now() + interval '7 days'
)
on conflict do nothing;

insert into private.invitation_tokens (invitation_id, token_hash)
select
    t.invitation_id::uuid as invitation_id,
    private.hash_token(t.token) as token_hash
from (
    values
    ('00000000-0000-4000-8000-0000000000d1', 'luneo_inv_demo-invite-marc-00000000000000000000000000'),
    ('00000000-0000-4000-8000-0000000000d2', 'luneo_inv_demo-invite-julie-0000000000000000000000000'),
    ('00000000-0000-4000-8000-0000000000d3', 'luneo_inv_demo-invite-paul-00000000000000000000000000'),
    ('00000000-0000-4000-8000-0000000000d5', 'luneo_inv_demo-invite-lucas-0000000000000000000000000')
) as t (invitation_id, token)
on conflict do nothing;

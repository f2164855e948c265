-- Demo data for `luneo dev`, `luneo db reset` and `luneo db seed`: the people and their
-- organisations. The other screens' rows are in seeds/*.sql, loaded after this file in the order
-- supabase/config.toml lists ([db.seed] sql_paths), all in one transaction. The accounts and
-- their password are in docs/demo.md.
--
-- Safe to run twice: every row has a fixed key and every insert is `on conflict do nothing`.

-- == users =======================================================================================

-- Users GoTrue can sign in (password `luneo-demo-2026`): encrypted_password is the bcrypt hash
-- GoTrue writes ($2a$, cost 10), computed once outside the database; the email is confirmed,
-- and the token columns GoTrue reads as strings are '' rather than null. Their profiles come
-- from the auth.users trigger (full_name, locale, company from the metadata).
insert into auth.users (
    instance_id,
    id,
    aud,
    role,
    email,
    encrypted_password,
    email_confirmed_at,
    raw_app_meta_data,
    raw_user_meta_data,
    created_at,
    updated_at,
    confirmation_token,
    recovery_token,
    email_change_token_new,
    email_change
)
select
    '00000000-0000-0000-0000-000000000000'::uuid as instance_id,
    u.id::uuid as id,
    'authenticated' as aud,
    'authenticated' as role,
    u.email,
    u.password_hash as encrypted_password,
    now() as email_confirmed_at,
    '{"provider": "email", "providers": ["email"]}'::jsonb as raw_app_meta_data,
    u.metadata::jsonb as raw_user_meta_data,
    now() as created_at,
    now() as updated_at,
    '' as confirmation_token,
    '' as recovery_token,
    '' as email_change_token_new,
    '' as email_change
from (
    values
    (
        '00000000-0000-4000-8000-000000000001',
        'camille@maison-aurore.example',
        '$2a$10$jkpiAtVV6uZrqHtpKmAfa.BjnkcsSUbKUMVMq/IStBZBGvkoX2HAS',
        '{"full_name": "Camille Durand", "locale": "fr-FR", "company": "Maison Aurore"}'
    ),
    (
        '00000000-0000-4000-8000-000000000002',
        'hugo@maison-aurore.example',
        '$2a$10$5ZTT0HAFOMt1E.uBRFZc2OPHIpCqlz6Gp3zvSTQS6RYX2wY240jCa',
        '{"full_name": "Hugo Martin", "locale": "fr-FR", "company": "Maison Aurore"}'
    ),
    (
        '00000000-0000-4000-8000-000000000003',
        'lea@maison-aurore.example',
        '$2a$10$pnfktui46PI.6vF88LtITuzpk30iCo5LQXPJixbWSalWsPJt3g2Cu',
        '{"full_name": "Lea Bernard", "locale": "fr-FR", "company": "Maison Aurore"}'
    ),
    (
        '00000000-0000-4000-8000-000000000004',
        'nora@maison-aurore.example',
        '$2a$10$ZmPX5Bz1.uxj5ScDFyjTc.VtJYYSgZ4DzLUv3ltDF1jueIgrssjru',
        '{"full_name": "Nora Petit", "locale": "en", "timezone": "Europe/Paris", "company": "Maison Aurore"}'
    ),
    (
        '00000000-0000-4000-8000-000000000005',
        'theo@maison-aurore.example',
        '$2a$10$vR46WTxFg6Bi7436ce4F6urTZsJszngYnayQFOQz4YHVES2kjKcD.',
        '{"full_name": "Theo Roux", "locale": "fr-FR"}'
    ),
    (
        '00000000-0000-4000-8000-000000000006',
        'ines@maison-aurore.example',
        '$2a$10$R4XfR.M04B8G8lYh7evSGuF9vdqhlnoIZrN2hD3QicMHN7AWHJ0kW',
        '{"full_name": "Ines Moreau", "locale": "fr-FR"}'
    ),
    (
        '00000000-0000-4000-8000-000000000007',
        'sofia@atelier-boreal.example',
        '$2a$10$HpSdpkYXmCP3HIufS2B9fOem6XYAwO8y24ZZCosCaL0SLdoYorBIK',
        '{"full_name": "Sofia Lind", "locale": "sv-SE", "timezone": "Europe/Stockholm", "company": "Atelier Boreal"}'
    )
) as u (id, email, password_hash, metadata)
on conflict (id) do nothing;

-- GoTrue signs a user in with a password through their `email` identity
insert into auth.identities (
    id, provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at
)
select
    u.id,
    u.id::text as provider_id,
    u.id as user_id,
    jsonb_build_object(
        'sub', u.id::text, 'email', u.email, 'email_verified', true, 'phone_verified', false
    ) as identity_data,
    'email' as provider,
    now() as last_sign_in_at,
    now() as created_at,
    now() as updated_at
from auth.users as u
where split_part(u.email, '@', 2) in ('maison-aurore.example', 'atelier-boreal.example')
on conflict do nothing;

-- == organisations ===============================================================================

insert into public.organizations (id, name, slug, plan, seat_limit, branding, created_by)
values
(
    '00000000-0000-4000-8000-0000000000a1',
    'Maison Aurore',
    'maison-aurore',
    'pro',
    10,
    '{"primary_color": "#1d1d1b", "logo_url": "https://maison-aurore.example/logo.svg"}',
    '00000000-0000-4000-8000-000000000001'
),
(
    '00000000-0000-4000-8000-0000000000a2',
    'Atelier Boreal',
    'atelier-boreal',
    'starter',
    5,
    '{"primary_color": "#0b3d91"}',
    '00000000-0000-4000-8000-000000000007'
)
on conflict (id) do nothing;

-- a custom role on top of the built-in ones (the roles screen)
insert into public.team_roles (id, organization_id, name, description, permissions)
values (
    '00000000-0000-4000-8000-0000000000c1',
    '00000000-0000-4000-8000-0000000000a1',
    'Lead designer',
    'Designers who also follow orders and read the API keys.',
    '{orders.manage, api_keys.read}'
)
on conflict (id) do nothing;

-- == members =====================================================================================

-- Maison Aurore has a member of every built-in role (and a suspended one); Hugo and Camille are
-- also in Atelier Boreal, so their accounts switch between two organisations. The owner row
-- of each organisation comes first: an organisation always keeps an owner.
insert into public.team_members (id, organization_id, user_id, role, custom_role_id, status, invited_by)
values
(
    '00000000-0000-4000-8000-0000000000b1',
    '00000000-0000-4000-8000-0000000000a1',
    '00000000-0000-4000-8000-000000000001',
    'owner',
    null,
    'active',
    null
),
(
    '00000000-0000-4000-8000-0000000000b2',
    '00000000-0000-4000-8000-0000000000a1',
    '00000000-0000-4000-8000-000000000002',
    'designer',
    '00000000-0000-4000-8000-0000000000c1',
    'active',
    '00000000-0000-4000-8000-000000000001'
),
(
    '00000000-0000-4000-8000-0000000000b3',
    '00000000-0000-4000-8000-0000000000a1',
    '00000000-0000-4000-8000-000000000003',
    'admin',
    null,
    'active',
    '00000000-0000-4000-8000-000000000001'
),
(
    '00000000-0000-4000-8000-0000000000b4',
    '00000000-0000-4000-8000-0000000000a1',
    '00000000-0000-4000-8000-000000000004',
    'manager',
    null,
    'active',
    '00000000-0000-4000-8000-000000000003'
),
(
    '00000000-0000-4000-8000-0000000000b5',
    '00000000-0000-4000-8000-0000000000a1',
    '00000000-0000-4000-8000-000000000005',
    'viewer',
    null,
    'active',
    '00000000-0000-4000-8000-000000000003'
),
(
    '00000000-0000-4000-8000-0000000000b6',
    '00000000-0000-4000-8000-0000000000a1',
    '00000000-0000-4000-8000-000000000006',
    'designer',
    null,
    'suspended',
    '00000000-0000-4000-8000-000000000003'
),
(
    '00000000-0000-4000-8000-0000000000b7',
    '00000000-0000-4000-8000-0000000000a2',
    '00000000-0000-4000-8000-000000000007',
    'owner',
    null,
    'active',
    null
),
(
    '00000000-0000-4000-8000-0000000000b8',
    '00000000-0000-4000-8000-0000000000a2',
    '00000000-0000-4000-8000-000000000002',
    'admin',
    null,
    'active',
    '00000000-0000-4000-8000-000000000007'
),
(
    '00000000-0000-4000-8000-0000000000b9',
    '00000000-0000-4000-8000-0000000000a2',
    '00000000-0000-4000-8000-000000000001',
    'viewer',
    null,
    'active',
    '00000000-0000-4000-8000-000000000007'
)
on conflict (organization_id, user_id) do nothing;

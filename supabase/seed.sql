-- Demo data for `luneo dev` and `luneo db seed`. Safe to run twice: every insert is keyed.

insert into auth.users (id, email, raw_user_meta_data, raw_app_meta_data, email_confirmed_at)
values
(
    '00000000-0000-4000-8000-000000000001',
    'camille@maison-aurore.example',
    '{"full_name": "Camille Durand", "locale": "fr-FR"}',
    '{"provider": "email", "providers": ["email"]}',
    now()
),
(
    '00000000-0000-4000-8000-000000000002',
    'hugo@maison-aurore.example',
    '{"full_name": "Hugo Martin", "locale": "fr-FR"}',
    '{"provider": "email", "providers": ["email"]}',
    now()
)
on conflict (id) do nothing;

-- their brand: Camille owns it, Hugo designs for it (profiles come from the auth.users trigger)
insert into public.organizations (id, name, slug, plan, seat_limit, branding, created_by)
values (
    '00000000-0000-4000-8000-0000000000a1',
    'Maison Aurore',
    'maison-aurore',
    'pro',
    10,
    '{"primary_color": "#1d1d1b", "logo_url": "https://maison-aurore.example/logo.svg"}',
    '00000000-0000-4000-8000-000000000001'
)
on conflict (id) do nothing;

insert into public.team_members (organization_id, user_id, role)
values
('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-000000000001', 'owner'),
('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-000000000002', 'designer')
on conflict (organization_id, user_id) do nothing;

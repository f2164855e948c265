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

-- Demo invoices (after seed.sql): what Luneo billed each organisation, paid and open, as the
-- billing service (service role) writes them. Safe to run twice: fixed keys and numbers,
-- `on conflict do nothing`.

insert into public.invoices (
    id,
    organization_id,
    number,
    status,
    amount_due,
    currency,
    billing_user_id,
    billing_name,
    billing_email,
    billing_address,
    issued_at
)
values
(
    '00000000-0000-4000-8000-000000000101',
    '00000000-0000-4000-8000-0000000000a1',
    'LUNEO-DEMO-0001',
    'paid',
    9900,
    'EUR',
    '00000000-0000-4000-8000-000000000001',
    'Maison Aurore SAS',
    'camille@maison-aurore.example',
    '{"line1": "18 rue de la Paix", "city": "Paris", "postal_code": "75002", "country": "FR"}',
    now() - interval '60 days'
),
(
    '00000000-0000-4000-8000-000000000102',
    '00000000-0000-4000-8000-0000000000a1',
    'LUNEO-DEMO-0002',
    'paid',
    9900,
    'EUR',
    '00000000-0000-4000-8000-000000000001',
    'Maison Aurore SAS',
    'camille@maison-aurore.example',
    '{"line1": "18 rue de la Paix", "city": "Paris", "postal_code": "75002", "country": "FR"}',
    now() - interval '30 days'
),
(
    '00000000-0000-4000-8000-000000000103',
    '00000000-0000-4000-8000-0000000000a1',
    'LUNEO-DEMO-0003',
    'open',
    9900,
    'EUR',
    '00000000-0000-4000-8000-000000000001',
    'Maison Aurore SAS',
    'camille@maison-aurore.example',
    '{"line1": "18 rue de la Paix", "city": "Paris", "postal_code": "75002", "country": "FR"}',
    now() - interval '1 day'
),
(
    '00000000-0000-4000-8000-000000000104',
    '00000000-0000-4000-8000-0000000000a2',
    'LUNEO-DEMO-0004',
    'paid',
    2900,
    'EUR',
    '00000000-0000-4000-8000-000000000007',
    'Atelier Boreal AB',
    'sofia@atelier-boreal.example',
    '{"line1": "Drottninggatan 50", "city": "Stockholm", "postal_code": "11121", "country": "SE"}',
    now() - interval '12 days'
)
on conflict do nothing;

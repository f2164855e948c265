-- Demo orders (after seed.sql): a brand's customers' orders in every status, amounts in minor
-- units. Safe to run twice: fixed keys, `on conflict do nothing`.

insert into public.orders (
    id, organization_id, customer_email, customer_name, shipping_address, status, total_amount, currency, placed_at
)
values
(
    '00000000-0000-4000-8000-0000000000f1',
    '00000000-0000-4000-8000-0000000000a1',
    'alice.lambert@example.com',
    'Alice Lambert',
    '{"line1": "12 rue des Lilas", "city": "Lyon", "postal_code": "69003", "country": "FR"}',
    'pending',
    8900,
    'EUR',
    now() - interval '1 hour'
),
(
    '00000000-0000-4000-8000-0000000000f2',
    '00000000-0000-4000-8000-0000000000a1',
    'benoit.girard@example.com',
    'Benoit Girard',
    '{"line1": "4 quai Voltaire", "city": "Paris", "postal_code": "75007", "country": "FR"}',
    'paid',
    24500,
    'EUR',
    now() - interval '1 day'
),
(
    '00000000-0000-4000-8000-0000000000f3',
    '00000000-0000-4000-8000-0000000000a1',
    'chloe.fontaine@example.com',
    'Chloe Fontaine',
    '{"line1": "8 avenue Foch", "city": "Nantes", "postal_code": "44000", "country": "FR"}',
    'shipped',
    15800,
    'EUR',
    now() - interval '3 days'
),
(
    '00000000-0000-4000-8000-0000000000f4',
    '00000000-0000-4000-8000-0000000000a1',
    'david.keller@example.com',
    'David Keller',
    '{"line1": "Bahnhofstrasse 21", "city": "Zurich", "postal_code": "8001", "country": "CH"}',
    'delivered',
    41200,
    'CHF',
    now() - interval '9 days'
),
(
    '00000000-0000-4000-8000-0000000000f5',
    '00000000-0000-4000-8000-0000000000a1',
    'emma.rossi@example.com',
    'Emma Rossi',
    '{"line1": "Via Roma 3", "city": "Torino", "postal_code": "10121", "country": "IT"}',
    'cancelled',
    6700,
    'EUR',
    now() - interval '14 days'
),
(
    '00000000-0000-4000-8000-0000000000f6',
    '00000000-0000-4000-8000-0000000000a1',
    'felix.martin@example.com',
    'Felix Martin',
    '{"line1": "2 place Bellecour", "city": "Lyon", "postal_code": "69002", "country": "FR"}',
    'refunded',
    12000,
    'EUR',
    now() - interval '30 days'
),
(
    '00000000-0000-4000-8000-0000000000f7',
    '00000000-0000-4000-8000-0000000000a2',
    'greta.nilsson@example.com',
    'Greta Nilsson',
    '{"line1": "Drottninggatan 50", "city": "Stockholm", "postal_code": "11121", "country": "SE"}',
    'paid',
    189000,
    'SEK',
    now() - interval '2 days'
)
on conflict (id) do nothing;

-- Demo orders (after seed.sql and 25_catalogue.sql): a brand's customers' orders in every status,
-- amounts in minor units, and their items (products of 25_catalogue.sql). Only total_amount is
-- given: the subtotal is derived from it (trigger _100_derive_subtotal), with no discount, tax or
-- shipping, as for the orders kept by the migration that introduced them; each order's items add
-- up to its subtotal, at the prices of the catalogue. Safe to run twice: fixed keys,
-- `on conflict do nothing`.

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

-- each line is a snapshot of the product (sku, name, price) with the customer's choices, which
-- follow the product's customisation_schema; the first order's item is the design made for it
insert into public.order_items (
    id,
    order_id,
    organization_id,
    product_id,
    design_id,
    sku,
    name,
    unit_price_amount,
    quantity,
    line_total_amount,
    currency,
    customisation
)
select
    i.id::uuid as id,
    i.order_id::uuid as order_id,
    p.organization_id,
    p.id as product_id,
    i.design_id::uuid as design_id,
    p.sku,
    p.name,
    p.price_amount as unit_price_amount,
    i.quantity,
    p.price_amount * i.quantity as line_total_amount,
    p.currency,
    i.customisation::jsonb as customisation
from (
    values
    (
        '00000000-0000-4000-8000-000000000f11',
        '00000000-0000-4000-8000-0000000000f1',
        '00000000-0000-4000-8000-000000000201',
        '00000000-0000-4000-8000-000000000301',
        1,
        '{"initials": "AL", "colour": "Cognac", "gift_wrap": true}'
    ),
    (
        '00000000-0000-4000-8000-000000000f21',
        '00000000-0000-4000-8000-0000000000f2',
        '00000000-0000-4000-8000-000000000202',
        null,
        1,
        '{"engraving": "Pour toujours", "finish": "Or rose", "wrist_cm": 17}'
    ),
    (
        '00000000-0000-4000-8000-000000000f22',
        '00000000-0000-4000-8000-0000000000f2',
        '00000000-0000-4000-8000-000000000201',
        null,
        1,
        '{"colour": "Noir"}'
    ),
    (
        '00000000-0000-4000-8000-000000000f31',
        '00000000-0000-4000-8000-0000000000f3',
        '00000000-0000-4000-8000-000000000203',
        null,
        2,
        '{"initials": "CF"}'
    ),
    (
        '00000000-0000-4000-8000-000000000f41',
        '00000000-0000-4000-8000-0000000000f4',
        '00000000-0000-4000-8000-000000000206',
        null,
        1,
        '{"caseback": "D.K. 09.2026"}'
    ),
    (
        '00000000-0000-4000-8000-000000000f51',
        '00000000-0000-4000-8000-0000000000f5',
        '00000000-0000-4000-8000-000000000204',
        null,
        1,
        '{}'
    ),
    (
        '00000000-0000-4000-8000-000000000f61',
        '00000000-0000-4000-8000-0000000000f6',
        '00000000-0000-4000-8000-000000000205',
        null,
        1,
        '{"waist_cm": 92, "buckle": "Palladium", "colour": "Noir", "initials": "FM"}'
    ),
    (
        '00000000-0000-4000-8000-000000000f71',
        '00000000-0000-4000-8000-0000000000f7',
        '00000000-0000-4000-8000-000000000211',
        null,
        2,
        '{"glass": "Rök"}'
    ),
    (
        '00000000-0000-4000-8000-000000000f72',
        '00000000-0000-4000-8000-0000000000f7',
        '00000000-0000-4000-8000-000000000212',
        null,
        1,
        '{"colour": "Skog"}'
    )
) as i (id, order_id, product_id, design_id, quantity, customisation)
inner join public.products as p on p.id = i.product_id::uuid
on conflict (id) do nothing;

-- Demo API keys (after seed.sql): two live keys and a revoked one for Maison Aurore, one for
-- Atelier Boreal. Each row is what private.create_api_key() writes: key_prefix is the first 14
-- characters of the key, and private.api_key_hashes holds private.hash_token(key). The clear
-- keys (local demo only) are in docs/demo.md, to call the API with `x-api-key`.
-- Safe to run twice: fixed keys, `on conflict do nothing`.

insert into public.api_keys (
    id, organization_id, name, key_prefix, scopes, rate_limit, expires_at, revoked_at, last_used_at, created_by
)
values
(
    '00000000-0000-4000-8000-0000000000e1',
    '00000000-0000-4000-8000-0000000000a1',
    'Storefront (production)',
    'luneo_aurstore',
    '{read, orders}',
    5000,
    null,
    null,
    now() - interval '2 hours',
    '00000000-0000-4000-8000-000000000001'
),
(
    '00000000-0000-4000-8000-0000000000e2',
    '00000000-0000-4000-8000-0000000000a1',
    'Design sync',
    'luneo_aurdsync',
    '{read, write, designs}',
    1000,
    now() + interval '90 days',
    null,
    null,
    '00000000-0000-4000-8000-000000000003'
),
(
    '00000000-0000-4000-8000-0000000000e3',
    '00000000-0000-4000-8000-0000000000a1',
    'Old ERP connector',
    'luneo_aurolder',
    '{read}',
    1000,
    null,
    now() - interval '10 days',
    now() - interval '12 days',
    '00000000-0000-4000-8000-000000000001'
),
(
    '00000000-0000-4000-8000-0000000000e4',
    '00000000-0000-4000-8000-0000000000a2',
    'ERP',
    'luneo_borerp01',
    '{read, orders, webhooks}',
    1000,
    null,
    null,
    null,
    '00000000-0000-4000-8000-000000000007'
)
on conflict (id) do nothing;

insert into private.api_key_hashes (api_key_id, key_hash)
select
    k.api_key_id::uuid as api_key_id,
    private.hash_token(k.secret) as key_hash
from (
    values
    ('00000000-0000-4000-8000-0000000000e1', 'luneo_aurstore-demo-storefront-000000000000000000'),
    ('00000000-0000-4000-8000-0000000000e2', 'luneo_aurdsync-demo-design-sync-00000000000000000'),
    ('00000000-0000-4000-8000-0000000000e3', 'luneo_aurolderp-demo-revoked-00000000000000000000'),
    ('00000000-0000-4000-8000-0000000000e4', 'luneo_borerp01-demo-erp-0000000000000000000000000')
) as k (api_key_id, secret)
on conflict do nothing;

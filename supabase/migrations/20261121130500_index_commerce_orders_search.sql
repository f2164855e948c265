-- index commerce orders search
--
-- Purpose: the brand's order search, by order number or by customer email, exact or by prefix
--          (`order_number=like.LUN-2026-0001*`, `customer_email=like.alice*`), within its
--          organisation. text_pattern_ops lets a btree serve `like 'prefix%'` whatever the
--          database's collation; the organisation comes first, as every listing filters on it.
--          And (id, organization_id), unique, which order_items' organisation refers to
--          (20261121130700_alter_commerce_order_items_references.sql).
--          Built concurrently: orders are being placed while this runs.
--          The indexes on api_key_id and discount_code_id become partial (`where ... is not
--          null`): most orders have neither, and each order placed no longer inserts into them;
--          lookups by a key or a code (its foreign key's) still use them.
-- Touches: indexes orders_organization_id_order_number_idx, orders_organization_id_customer_email_idx,
--          orders_id_organization_id_idx, orders_api_key_id_idx, orders_discount_code_id_idx.
-- Destructive: no.

create index concurrently orders_organization_id_order_number_idx
on public.orders (organization_id, order_number text_pattern_ops);

create index concurrently orders_organization_id_customer_email_idx
on public.orders (organization_id, customer_email text_pattern_ops);

create unique index concurrently orders_id_organization_id_idx on public.orders (id, organization_id);

drop index concurrently public.orders_api_key_id_idx;

create index concurrently orders_api_key_id_idx on public.orders (api_key_id) where api_key_id is not null;

drop index concurrently public.orders_discount_code_id_idx;

create index concurrently orders_discount_code_id_idx on public.orders (discount_code_id, customer_id)
where discount_code_id is not null;

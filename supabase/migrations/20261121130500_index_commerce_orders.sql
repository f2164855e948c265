-- index commerce orders
--
-- Purpose: the brand's order search, by order number or by customer email, exact or by prefix
--          (`order_number=like.LUN-2026-0001*`, `customer_email=like.alice*`), within its
--          organisation. text_pattern_ops lets a btree serve `like 'prefix%'` whatever the
--          database's collation; the organisation comes first, as every listing filters on it.
--          And (id, organization_id), unique, which order_items' organisation refers to
--          (20261121130700_alter_commerce_order_items_references.sql).
--          Built concurrently: orders are being placed while this runs.
--          The items' indexes on order_id and design_id gain organization_id, as the foreign keys
--          added next (order_items_order_id_organization_id_fkey, order_items_design_id_fkey) do.
-- Touches: indexes orders_organization_id_order_number_idx, orders_organization_id_customer_email_idx,
--          orders_id_organization_id_idx; order_items_order_id_organization_id_idx (replaces
--          order_items_order_id_idx), order_items_organization_id_design_id_idx (replaces
--          order_items_design_id_idx).
-- Destructive: no.

create index concurrently orders_organization_id_order_number_idx
on public.orders (organization_id, order_number text_pattern_ops);

create index concurrently orders_organization_id_customer_email_idx
on public.orders (organization_id, customer_email text_pattern_ops);

create unique index concurrently orders_id_organization_id_idx on public.orders (id, organization_id);

-- order_items' foreign keys to the order's organisation and to the design (added by
-- 20261121130700_alter_commerce_order_items_references.sql) lead with these columns
create index concurrently order_items_order_id_organization_id_idx on public.order_items (order_id, organization_id);

drop index concurrently public.order_items_order_id_idx;

create index concurrently order_items_organization_id_design_id_idx
on public.order_items (organization_id, design_id);

drop index concurrently public.order_items_design_id_idx;

-- Orders: placing an order (prices, tax and stock on the server only), the status machine, the
-- status history, restocking; and the triggers on public.orders. The tables are in migrations
-- 20261121100300_create_shared_audit_logs_and_billing_records.sql and
-- 20261121130100_create_commerce_orders.sql.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.
-- Errors (docs/errors.md): LU100 (product not found in the organisation), LU101 (product not on
-- sale), LU102 (insufficient stock), LU103 (currency mismatch), LU104 (status change not
-- allowed), LU105 (discount code not found), LU106 (code not valid now), LU107 (code used up),
-- LU108 (idempotency key reused for another order), LU140 (design not found);
-- 22023, 22001, 22004 (malformed input); 42501 (not signed in, API key without the orders scope
-- or of another organisation).

-- == place_order ==================================================================================

create or replace function private.place_order(
    organization_id uuid,
    items jsonb,
    idempotency_key text default null,
    shipping_address jsonb default null,
    currency text default null,
    customer_email text default null,
    customer_name text default null,
    discount_code text default null
)
returns public.orders
language plpgsql
volatile
-- definer: customers and API keys may not read draft products, write orders, items or stock
security definer
set search_path = ''
as $$
declare
    caller uuid := (select auth.uid());
    key_id uuid;
    key_scopes text[];
    key_organization uuid;
    email text := lower(place_order.customer_email);
    item jsonb;
    product record;
    design_product uuid;
    customisation jsonb;
    quantity integer;
    subtotal bigint := 0;
    rate integer := 0;
    tax bigint;
    shipping bigint;
    discount bigint := 0;
    code_text text := upper(btrim(place_order.discount_code));
    code public.discount_codes;
    order_currency text := place_order.currency;
    fingerprint bytea;
    placed public.orders;
    item_count integer;
    max_items constant integer := 50;
    uuid_pattern constant text := '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
    -- the lines, as checked and priced: written to order_items in one statement
    line_products uuid[] := '{}';
    line_designs uuid[] := '{}';
    line_skus text[] := '{}';
    line_names text[] := '{}';
    line_prices bigint[] := '{}';
    line_quantities integer[] := '{}';
    line_customisations jsonb[] := '{}';
    -- the tracked products, each once, with the units the order takes of it
    tracked_products uuid[] := '{}';
    tracked_quantities integer[] := '{}';
    tracked_position integer;
    tracked_count integer;
    taken integer;
    short record;
begin
    -- who: an API key with the orders scope (its own organisation), else a signed-in customer
    if nullif(current_setting('luneo.api_key_id', true), '') is not null then
        select k.id, k.scopes, k.organization_id into key_id, key_scopes, key_organization
        from public.api_keys as k
        where k.id = current_setting('luneo.api_key_id', true)::uuid and k.revoked_at is null;
        if key_id is null or not ('orders' = any(key_scopes)) then
            raise exception using errcode = '42501', message = 'this API key lacks the orders scope',
                hint = 'Create a key with the orders scope.';
        end if;
    end if;
    if key_id is null and caller is null then
        raise exception using errcode = '42501', message = 'sign in first',
            hint = 'place_order needs a signed-in customer or an API key with the orders scope.';
    end if;
    if place_order.organization_id is null then
        raise exception using errcode = '22004', message = 'organization_id is required';
    end if;
    if key_id is not null and key_organization <> place_order.organization_id then
        raise exception using errcode = '42501', message = 'this API key belongs to another organisation',
            detail = format('organization_id=%s', place_order.organization_id);
    end if;
    if key_id is not null and caller is not null then
        key_id := null;  -- a signed-in customer sending the brand's key along orders as themselves
    end if;

    -- the input's shape (expressions only: no query runs until the whole input is well formed)
    if place_order.items is null or pg_catalog.jsonb_typeof(place_order.items) <> 'array' then
        raise exception using errcode = '22023', message = 'items: must be a JSON array of items',
            hint = 'items: [{"product_id": "...", "quantity": 1, "customisation": {}}]';
    end if;
    item_count := pg_catalog.jsonb_array_length(place_order.items);
    if item_count = 0 then
        raise exception using errcode = '22023', message = 'items: an order needs at least one item';
    end if;
    if item_count > max_items then
        raise exception using errcode = '22023', message = format('items: at most %s items', max_items);
    end if;
    for n in 0 .. item_count - 1 loop
        item := place_order.items -> n;
        if pg_catalog.jsonb_typeof(item) <> 'object'
            or item - '{product_id,quantity,customisation,design_id}'::text[] <> '{}'::jsonb then
            raise exception using errcode = '22023',
                message = 'items: each item is an object of product_id, quantity, customisation, design_id';
        end if;
        if pg_catalog.jsonb_typeof(item -> 'product_id') is distinct from 'string'
            or (item ->> 'product_id') !~* uuid_pattern
            or (item ? 'design_id' and pg_catalog.jsonb_typeof(item -> 'design_id') <> 'null' and (
                pg_catalog.jsonb_typeof(item -> 'design_id') <> 'string' or (item ->> 'design_id') !~* uuid_pattern
            )) then
            raise exception using errcode = '22023', message = 'items: product_id (and design_id) must be uuids';
        end if;
        if pg_catalog.jsonb_typeof(item -> 'quantity') is distinct from 'number'
            or (item ->> 'quantity') !~ '^[0-9]{1,4}$'
            or (item ->> 'quantity')::integer not between 1 and 1000 then
            raise exception using errcode = '22023', message = 'items: quantity must be a whole number from 1 to 1000',
                detail = format('quantity=%s', left(item ->> 'quantity', 40));
        end if;
    end loop;
    perform private.check_text(place_order.idempotency_key, 'idempotency_key', 100, 1, '^[A-Za-z0-9_.:-]+$');
    perform private.check_json_object(place_order.shipping_address, 'shipping_address', 4096);
    perform private.check_text(place_order.customer_name, 'customer_name', 200, 1);
    if place_order.currency is not null and place_order.currency !~ '^[A-Z]{3}$' then
        raise exception using errcode = '22023', message = 'currency: an ISO 4217 code in upper case (EUR)';
    end if;
    if email is null and key_id is null then
        email := nullif(lower((select auth.jwt()) ->> 'email'), '');
    end if;
    perform private.check_email(email, 'customer_email');
    perform private.check_text(code_text, 'discount_code', 40, 3, '^[A-Z0-9_-]+$');

    -- a retry: the order this key already made, if the call asks for the same (the items as sent,
    -- in their order; jsonb's text is canonical, so spacing and key order do not matter)
    if place_order.idempotency_key is not null then
        fingerprint := pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.jsonb_build_array(
            place_order.items, place_order.shipping_address, place_order.currency, email,
            place_order.customer_name, code_text
        )::text, 'UTF8'));
        placed := private.order_for_key(
            place_order.organization_id, place_order.idempotency_key, caller, key_id, fingerprint
        );
        if placed.id is not null then
            return placed;
        end if;
    end if;

    -- each line priced from the catalogue only (one primary-key lookup per item, whatever the
    -- catalogue's size), its design and customisation checked
    for n in 0 .. item_count - 1 loop
        item := place_order.items -> n;
        select p.id, p.status, p.currency, p.price_amount, p.customisation_schema, p.sku, p.name, p.track_stock
        into product
        from public.products as p
        where p.id = (item ->> 'product_id')::uuid and p.organization_id = place_order.organization_id;
        if product.id is null then
            raise exception using errcode = 'LU100', message = 'product not found',
                detail = format('product_id=%s', item ->> 'product_id'),
                hint = 'Order active products of this organisation.';
        end if;
        if product.status <> 'active' then
            raise exception using errcode = 'LU101', message = 'product not on sale',
                detail = format('product_id=%s status=%s', product.id, product.status);
        end if;
        order_currency := coalesce(order_currency, product.currency);
        if product.currency <> order_currency then
            raise exception using errcode = 'LU103', message = 'currency mismatch',
                detail = format('product_id=%s is sold in %s, the order is in %s', product.id, product.currency, order_currency),
                hint = 'Order products of one currency at a time.';
        end if;
        if (item ->> 'design_id') is not null then
            select d.product_id into design_product from public.designs as d
            where d.id = (item ->> 'design_id')::uuid and d.organization_id = place_order.organization_id;
            if not found then
                raise exception using errcode = 'LU140', message = 'design not found',
                    detail = format('design_id=%s', item ->> 'design_id'),
                    hint = 'An item''s design is one of this organisation''s designs.';
            end if;
            if design_product is distinct from product.id and design_product is not null then
                raise exception using errcode = '22023', message = 'items: the design is made for another product',
                    detail = format('design_id=%s product_id=%s', item ->> 'design_id', product.id);
            end if;
        end if;
        customisation := item -> 'customisation';
        if (customisation is null or customisation = '{}')
            and coalesce(product.customisation_schema -> 'fields', '[]') = '[]' then
            customisation := '{}';  -- nothing asked, nothing offered
        else
            customisation := private.check_customisation(product.customisation_schema, customisation);
        end if;
        quantity := (item ->> 'quantity')::integer;
        subtotal := subtotal + product.price_amount * quantity;
        line_products := line_products || product.id;
        line_designs := line_designs || (item ->> 'design_id')::uuid;
        line_skus := line_skus || product.sku;
        line_names := line_names || product.name;
        line_prices := line_prices || product.price_amount;
        line_quantities := line_quantities || quantity;
        line_customisations := line_customisations || customisation;
        if product.track_stock then
            tracked_position := pg_catalog.array_position(tracked_products, product.id);
            if tracked_position is null then
                tracked_products := tracked_products || product.id;
                tracked_quantities := tracked_quantities || quantity;
            else
                tracked_quantities[tracked_position] := tracked_quantities[tracked_position] + quantity;
            end if;
        end if;
    end loop;
    if subtotal > 10000000000000 then
        raise exception using errcode = '22023', message = 'items: the order is too large';
    end if;

    -- the discount code: found, in its window, in the order's currency (its limits are counted below)
    if code_text is not null then
        select c.* into code from public.discount_codes as c
        where c.organization_id = place_order.organization_id and c.code = code_text and c.active;
        if code.id is null then
            raise exception using errcode = 'LU105', message = 'discount code not found',
                detail = format('code=%s', code_text);
        end if;
        if (code.valid_from is not null and code.valid_from > pg_catalog.now())
            or (code.valid_until is not null and code.valid_until <= pg_catalog.now()) then
            raise exception using errcode = 'LU106', message = 'discount code not valid now',
                detail = format('code=%s valid from %s until %s', code_text, code.valid_from, code.valid_until);
        end if;
        if code.kind = 'amount' and code.currency <> order_currency then
            raise exception using errcode = 'LU103', message = 'currency mismatch',
                detail = format('code=%s is in %s, the order is in %s', code_text, code.currency, order_currency);
        end if;
        discount := case
            when code.kind = 'percent' then (subtotal * code.percent_bp + 5000) / 10000
            else least(code.amount, subtotal)
        end;
    end if;

    -- tax on the destination (basis points, rounded half up, integers only)
    select r.rate_bp into rate from public.tax_rates as r
    where r.country_code = upper(place_order.shipping_address ->> 'country');
    rate := coalesce(rate, 0);
    tax := ((subtotal - discount) * rate + 5000) / 10000;
    select r.amount into shipping from public.shipping_rates as r
    where r.organization_id = place_order.organization_id and r.currency = order_currency;
    shipping := coalesce(shipping, 0);

    -- the order first: a concurrent call with the same key waits here, then returns the winner's
    insert into public.orders as o (
        organization_id, customer_id, api_key_id, customer_email, customer_name, shipping_address,
        status, currency, subtotal_amount, discount_amount, tax_rate_bp, tax_amount, shipping_amount,
        total_amount, idempotency_key, idempotency_fingerprint, discount_code_id
    ) values (
        place_order.organization_id, caller, key_id, email, place_order.customer_name,
        place_order.shipping_address, 'pending', order_currency, subtotal, discount, rate, tax, shipping,
        subtotal - discount + tax + shipping, place_order.idempotency_key, fingerprint, code.id
    )
    on conflict do nothing
    returning o.* into placed;
    if placed.id is null then
        return private.order_for_key(
            place_order.organization_id, place_order.idempotency_key, caller, key_id, fingerprint
        );
    end if;

    -- the code's limits: a conditional update takes the code's row (concurrent orders with the same
    -- code queue here), then this customer's uses are counted with the others' committed
    if code.id is not null then
        update public.discount_codes as c set uses = c.uses + 1
        where c.id = code.id and c.active and (c.max_uses is null or c.uses < c.max_uses);
        if not found then
            raise exception using errcode = 'LU107', message = 'discount code used up',
                detail = format('code=%s', code_text);
        end if;
        if code.max_uses_per_customer is not null and (
            select count(*) from public.orders as o
            where
                o.discount_code_id = code.id and o.status <> 'cancelled' and o.id <> placed.id
                and ((caller is not null and o.customer_id = caller)
                    or (caller is null and o.customer_email = email))
        ) >= code.max_uses_per_customer then
            raise exception using errcode = 'LU107', message = 'discount code used up',
                detail = format('code=%s: at most %s uses per customer', code_text, code.max_uses_per_customer);
        end if;
    end if;

    insert into public.order_items (
        order_id, organization_id, product_id, design_id, sku, name, unit_price_amount, quantity,
        line_total_amount, currency, customisation
    )
    select
        placed.id, placed.organization_id, l.product_id, l.design_id, l.sku, l.name, l.price, l.quantity,
        l.price * l.quantity, placed.currency, l.customisation
    -- unnest of several arrays (zipped) is FROM-clause syntax of its own: the name stays unqualified
    from unnest(
        line_products, line_designs, line_skus, line_names, line_prices, line_quantities, line_customisations
    ) with ordinality as l (product_id, design_id, sku, name, price, quantity, customisation, position)
    order by l.position;

    -- stock last, so its row locks are held only until the commit: the tracked products are
    -- locked in id order (no deadlock between orders), then their units taken in one conditional
    -- update. These movements are the order's own record (its items), not audit_logs entries.
    if pg_catalog.cardinality(tracked_products) > 0 then
        select count(*) into tracked_count from (
            select from public.products as p
            where p.id = any(tracked_products) and p.track_stock
            order by p.id
            for no key update of p
        ) as locked;
        perform pg_catalog.set_config('luneo.stock_movement', 'order', true);
        update public.products as p set stock = p.stock - w.quantity
        from unnest(tracked_products, tracked_quantities) as w (product_id, quantity)
        where p.id = w.product_id and p.track_stock and p.stock >= w.quantity;
        get diagnostics taken = row_count;
        perform pg_catalog.set_config('luneo.stock_movement', '', true);
        if taken < tracked_count then
            select w.product_id, w.quantity into short
            from unnest(tracked_products, tracked_quantities) as w (product_id, quantity)
            inner join public.products as p on p.id = w.product_id
            where p.track_stock and p.stock < w.quantity
            order by 1
            limit 1;
            raise exception using errcode = 'LU102', message = 'insufficient stock',
                detail = format('product_id=%s quantity=%s', short.product_id, short.quantity),
                hint = 'Order fewer units, or later.';
        end if;
    end if;

    return placed;
end;
$$;

comment on function private.place_order(uuid, jsonb, text, jsonb, text, text, text, text) is
'Places an order (see public.place_order): prices from the catalogue, tax from tax_rates, stock '
'decremented atomically, one order per idempotency key.';

revoke execute on function private.place_order(uuid, jsonb, text, jsonb, text, text, text, text) from public;
grant execute on function private.place_order(uuid, jsonb, text, jsonb, text, text, text, text)
to anon, authenticated, service_role;

create or replace function private.order_for_key(
    organization_id uuid, idempotency_key text, customer_id uuid, api_key_id uuid, fingerprint bytea
)
returns public.orders
language plpgsql
stable
set search_path = ''
as $$
declare
    placed public.orders;
begin
    select o.* into placed from public.orders as o
    where
        o.idempotency_key = order_for_key.idempotency_key
        and (
            (order_for_key.customer_id is not null and o.customer_id = order_for_key.customer_id
                and o.organization_id = order_for_key.organization_id)
            or (order_for_key.api_key_id is not null and o.customer_id is null
                and o.api_key_id = order_for_key.api_key_id)
        );
    -- orders keyed before fingerprints existed cannot be compared: they are returned
    if placed.idempotency_fingerprint is distinct from order_for_key.fingerprint
        and placed.idempotency_fingerprint is not null then
        raise exception using errcode = 'LU108', message = 'idempotency key already used for another order',
            detail = format('idempotency_key=%s order_number=%s', placed.idempotency_key, placed.order_number),
            hint = 'A retry sends the same request; a new order needs a new idempotency_key.';
    end if;
    return placed;
end;
$$;

comment on function private.order_for_key(uuid, text, uuid, uuid, bytea) is
'place_order''s retry: the order this idempotency key made for the customer at the brand (or for the '
'API key), if the call asked for the same (else LU108); null when the key made none yet.';

revoke execute on function private.order_for_key(uuid, text, uuid, uuid, bytea) from public, anon, authenticated;

-- the RPC: POST /rpc/place_order
create or replace function public.place_order(
    organization_id uuid,
    items jsonb,
    idempotency_key text default null,
    shipping_address jsonb default null,
    currency text default null,
    customer_email text default null,
    customer_name text default null,
    discount_code text default null
)
returns public.orders
language sql
volatile
security invoker
set search_path = ''
as $$
    select * from private.place_order(
        place_order.organization_id, place_order.items, place_order.idempotency_key,
        place_order.shipping_address, place_order.currency, place_order.customer_email, place_order.customer_name,
        place_order.discount_code
    )
$$;

comment on function public.place_order(uuid, jsonb, text, jsonb, text, text, text, text) is
'Places an order with a brand as the signed-in customer, or as the brand''s server with an API key '
'(orders scope): items [{product_id, quantity, customisation, design_id}], at most 50. Prices, tax and '
'totals computed here; stock decremented atomically; the same idempotency_key returns the same order. '
'LU100-LU103, LU105-LU108, LU140, 22023 (docs/api/commerce.md#rpc-place_order).';

revoke execute on function public.place_order(uuid, jsonb, text, jsonb, text, text, text, text) from public;
grant execute on function public.place_order(uuid, jsonb, text, jsonb, text, text, text, text)
to anon, authenticated, service_role;

-- == search_orders ================================================================================

create or replace function private.search_orders(organization_id uuid, query text, max_rows integer default 50)
returns setof public.orders
language plpgsql
stable
-- definer: through RLS, `like` (not leakproof) cannot use an index and the search would read every
-- order of the brand; the permission is checked here instead, and the organisation filter is explicit
security definer
set search_path = ''
-- planned with the query's value: a generic plan cannot turn `like <prefix>%` into an index range
set plan_cache_mode = 'force_custom_plan'
as $$
declare
    prefix text := btrim(search_orders.query);
begin
    perform private.require_permission(search_orders.organization_id, 'orders.read');
    perform private.check_text(prefix, 'query', 320, 1);
    if prefix is null then
        raise exception using errcode = '22004', message = 'query is required';
    end if;
    if search_orders.max_rows is null or search_orders.max_rows not between 1 and 200 then
        raise exception using errcode = '22023', message = 'max_rows: from 1 to 200',
            detail = format('max_rows=%s', search_orders.max_rows);
    end if;
    -- the query is a prefix, its own wildcards taken literally
    prefix := pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(prefix, '\', '\\'), '%', '\%'), '_', '\_');
    return query
    select o.* from public.orders as o
    where
        o.organization_id = search_orders.organization_id
        and (o.order_number like pg_catalog.upper(prefix) || '%' or o.customer_email like pg_catalog.lower(prefix) || '%')
    order by o.placed_at desc, o.id
    limit search_orders.max_rows;
end;
$$;

comment on function private.search_orders(uuid, text, integer) is
'Orders of the organisation whose number or customer email starts with the query (see public.search_orders).';

revoke execute on function private.search_orders(uuid, text, integer) from public;
grant execute on function private.search_orders(uuid, text, integer) to authenticated, service_role;

-- the RPC: POST /rpc/search_orders
create or replace function public.search_orders(organization_id uuid, query text, max_rows integer default 50)
returns setof public.orders
language sql
stable
security invoker
set search_path = ''
as $$
    select * from private.search_orders(search_orders.organization_id, search_orders.query, search_orders.max_rows)
$$;

comment on function public.search_orders(uuid, text, integer) is
'The brand''s order search (orders.read): orders whose number (LUN-2026-0001...) or customer email '
'(alice@...) starts with query, case-insensitive, newest first, at most max_rows (1-200, default 50). '
'42501 without orders.read, 22004/22023 for a missing or malformed query (docs/api/commerce.md#rpc-search_orders).';

revoke execute on function public.search_orders(uuid, text, integer) from public;
grant execute on function public.search_orders(uuid, text, integer) to authenticated, service_role;

-- == the status machine ==========================================================================

create or replace function private.tg_guard_order_status()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    -- pending -> paid -> processing -> shipped -> delivered; cancel when pending or paid; refund once paid
    if old.status <> new.status and (old.status, new.status) not in (
        ('pending', 'paid'), ('pending', 'cancelled'),
        ('paid', 'processing'), ('paid', 'cancelled'), ('paid', 'refunded'),
        ('processing', 'shipped'), ('processing', 'refunded'),
        ('shipped', 'delivered'), ('shipped', 'refunded'),
        ('delivered', 'refunded')
    ) then
        raise exception using errcode = 'LU104', message = 'order status change not allowed',
            detail = format('order %s: %s -> %s', old.order_number, old.status, new.status),
            hint = 'pending -> paid -> processing -> shipped -> delivered; cancel when pending or paid; refund once paid.';
    end if;
    return new;
end;
$$;

comment on function private.tg_guard_order_status() is
'Trigger _200_guard_status on orders: refuses status changes the machine does not allow (LU104), whoever writes.';

revoke execute on function private.tg_guard_order_status() from public, anon, authenticated;

create or replace function private.tg_record_order_status()
returns trigger
language plpgsql
-- definer: order_status_history is written by this trigger only
security definer
set search_path = ''
as $$
begin
    if tg_op = 'INSERT' or old.status is distinct from new.status then
        insert into public.order_status_history (order_id, organization_id, from_status, to_status, changed_by, changed_by_role)
        values (
            new.id, new.organization_id, case when tg_op = 'UPDATE' then old.status end, new.status,
            (select auth.uid()), coalesce(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role', current_user)
        );
    end if;
    return null;
end;
$$;

comment on function private.tg_record_order_status() is
'Trigger _100_record_status on orders: appends (from, to, who, when) to order_status_history.';

revoke execute on function private.tg_record_order_status() from public, anon, authenticated;

create or replace function private.tg_restock_order()
returns trigger
language plpgsql
-- definer: a manager cancelling an order may not write products' stock directly
security definer
set search_path = ''
as $$
declare
    line record;
begin
    -- the goods never left: cancelled (from pending or paid), or refunded before shipping; a refund
    -- after shipping restocks nothing (the goods come back, if ever, as a return the brand counts)
    if (new.status = 'cancelled' and old.status in ('pending', 'paid'))
        or (new.status = 'refunded' and old.status in ('paid', 'processing')) then
        perform pg_catalog.set_config('luneo.stock_movement', 'order', true);  -- no audit entry (see products)
        for line in
            select i.product_id, sum(i.quantity) as quantity
            from public.order_items as i where i.order_id = new.id
            group by 1 order by 1
        loop
            update public.products as p set stock = p.stock + line.quantity
            where p.id = line.product_id and p.track_stock;
        end loop;
        perform pg_catalog.set_config('luneo.stock_movement', '', true);
    end if;
    -- a cancelled order gives its discount code's use back (a refunded one keeps it)
    if new.status = 'cancelled' and old.status <> 'cancelled' and new.discount_code_id is not null then
        update public.discount_codes as c set uses = c.uses - 1
        where c.id = new.discount_code_id and c.uses > 0;
    end if;
    return null;
end;
$$;

comment on function private.tg_restock_order() is
'Trigger _100_restock on orders: cancelling, or refunding before shipping, puts the items back in stock '
'(tracked products, in id order).';

revoke execute on function private.tg_restock_order() from public, anon, authenticated;

create or replace function private.tg_derive_order_subtotal()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    -- writers giving only total_amount (the service role, older code): the subtotal is the rest
    new.subtotal_amount := coalesce(
        new.subtotal_amount, new.total_amount + new.discount_amount - new.tax_amount - new.shipping_amount
    );
    return new;
end;
$$;

comment on function private.tg_derive_order_subtotal() is
'Trigger _100_derive_subtotal on orders: a subtotal not given is total + discount - tax - shipping.';

revoke execute on function private.tg_derive_order_subtotal() from public, anon, authenticated;

-- == tg_emit_order_events: order.created, order.status_changed, order.paid|cancelled|refunded ====

create or replace function private.tg_emit_order_events()
returns trigger
language plpgsql
-- definer: writes the event outbox
security definer
set search_path = ''
as $$
declare
    data jsonb := jsonb_build_object('order', to_jsonb(new) - 'idempotency_fingerprint');
begin
    if tg_op = 'INSERT' then
        perform private.emit_event('order.created', new.organization_id, data);
        return null;
    end if;
    data := data || jsonb_build_object('previous_status', old.status);
    perform private.emit_event('order.status_changed', new.organization_id, data);
    if new.status in ('paid', 'cancelled', 'refunded') then
        perform private.emit_event('order.' || new.status, new.organization_id, data);
    end if;
    return null;
end;
$$;

comment on function private.tg_emit_order_events() is
'Trigger function (after insert, after a status change): order.created; order.status_changed, and '
'order.paid, order.cancelled or order.refunded for those statuses (docs/events.md).';

revoke execute on function private.tg_emit_order_events() from public, anon, authenticated;

-- == triggers on public.discount_codes ==========================================================

create or replace trigger _100_set_updated_at before update on public.discount_codes
for each row execute function private.tg_set_updated_at();

-- == triggers on public.shipping_rates ==========================================================

create or replace trigger _100_set_updated_at before update on public.shipping_rates
for each row execute function private.tg_set_updated_at();

-- == triggers on public.orders ===================================================================

create or replace trigger _100_set_updated_at before update on public.orders
for each row execute function private.tg_set_updated_at();

create or replace trigger _100_derive_subtotal before insert on public.orders
for each row execute function private.tg_derive_order_subtotal();

create or replace trigger _200_guard_status before update of status on public.orders
for each row execute function private.tg_guard_order_status();

create or replace trigger _100_record_status after insert or update of status on public.orders
for each row execute function private.tg_record_order_status();

create or replace trigger _100_restock after update of status on public.orders
for each row execute function private.tg_restock_order();

create or replace trigger _900_emit_created after insert on public.orders
for each row execute function private.tg_emit_order_events();

create or replace trigger _900_emit_status_changed after update of status on public.orders
for each row when (old.status is distinct from new.status)
execute function private.tg_emit_order_events();

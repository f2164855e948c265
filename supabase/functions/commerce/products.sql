-- Products: the customisation a customer asks for, checked against the product's schema; and
-- the triggers on public.products. The table and its schema validation are in migration
-- 20261121130000_create_commerce_products.sql.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.

-- == check_customisation: a customer's choices against the product's schema ======================

create or replace function private.check_customisation(schema jsonb, customisation jsonb)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
declare
    field jsonb;
    field_key text;
    given jsonb;
    given_type text;
begin
    if check_customisation.customisation is null or check_customisation.customisation = '{}'::jsonb then
        check_customisation.customisation := '{}';
    end if;
    perform private.check_json_object(check_customisation.customisation, 'customisation', 16384);
    if exists (
        select from pg_catalog.jsonb_object_keys(check_customisation.customisation) as k
        where k not in (
            select f ->> 'key'
            from pg_catalog.jsonb_array_elements(coalesce(check_customisation.schema -> 'fields', '[]')) as f
        )
    ) then
        raise exception using errcode = '22023',
            message = 'customisation: names a field the product does not offer',
            hint = 'Use the keys of the product''s customisation_schema.';
    end if;
    for field in
        select f from pg_catalog.jsonb_array_elements(coalesce(check_customisation.schema -> 'fields', '[]')) as f
    loop
        field_key := field ->> 'key';
        given := check_customisation.customisation -> field_key;
        if given is null or given = 'null'::jsonb then
            if coalesce((field ->> 'required')::boolean, false) then
                raise exception using errcode = '22004',
                    message = format('customisation: %s is required', field_key);
            end if;
            continue;
        end if;
        given_type := pg_catalog.jsonb_typeof(given);
        if (field ->> 'type' in ('text', 'choice', 'image') and given_type <> 'string')
            or (field ->> 'type' = 'number' and given_type <> 'number')
            or (field ->> 'type' = 'boolean' and given_type <> 'boolean') then
            raise exception using errcode = '22023',
                message = format('customisation: %s must be a %s', field_key, field ->> 'type');
        end if;
        if field ->> 'type' in ('text', 'image') then
            perform private.check_text(
                given #>> '{}', format('customisation: %s', field_key),
                coalesce((field ->> 'max_length')::integer, case when field ->> 'type' = 'image' then 2048 else 1000 end),
                0, field ->> 'pattern'
            );
        elsif field ->> 'type' = 'choice' and not (field -> 'options') @> pg_catalog.jsonb_build_array(given) then
            raise exception using errcode = '22023',
                message = format('customisation: %s must be one of the options', field_key);
        elsif field ->> 'type' = 'number' and (
            (field ? 'min' and (given #>> '{}')::numeric < (field ->> 'min')::numeric)
            or (field ? 'max' and (given #>> '{}')::numeric > (field ->> 'max')::numeric)
        ) then
            raise exception using errcode = '22023',
                message = format('customisation: %s is out of range', field_key);
        end if;
    end loop;
    return check_customisation.customisation;
end;
$$;

comment on function private.check_customisation(jsonb, jsonb) is
'A customer''s customisation checked against a product''s customisation_schema: only its keys, each of '
'its type (choices among the options, numbers in range, texts within max_length and pattern), the '
'required ones present (22023, 22004, 22001). Returns the customisation ({} for none).';

revoke execute on function private.check_customisation(jsonb, jsonb) from public, anon, authenticated;
grant execute on function private.check_customisation(jsonb, jsonb) to service_role;

-- == tg_emit_low_stock: product.low_stock ========================================================

create or replace function private.tg_emit_low_stock()
returns trigger
language plpgsql
-- definer: writes the event outbox (orders move stock as customers and API keys)
security definer
set search_path = ''
as $$
begin
    perform private.emit_event('product.low_stock', new.organization_id, jsonb_build_object('product', to_jsonb(new)));
    return null;
end;
$$;

comment on function private.tg_emit_low_stock() is
'Trigger function (after an update that takes a tracked product''s stock from above its '
'low_stock_threshold to it or below): product.low_stock, once per crossing (docs/events.md).';

revoke execute on function private.tg_emit_low_stock() from public, anon, authenticated;

-- == triggers on public.products =================================================================

create or replace trigger _100_set_updated_at before update on public.products
for each row execute function private.tg_set_updated_at();

-- stock moved by an order (placed, cancelled or refunded) is the order's own record, its items and
-- status history: place_order and the restock trigger mark those updates (luneo.stock_movement,
-- for their statement only) and they make no audit entry; every other change to a product does
create or replace trigger _500_audit after insert or update or delete on public.products
for each row when (pg_catalog.current_setting('luneo.stock_movement', true) is distinct from 'order')
execute function private.tg_audit();

create or replace trigger _900_emit_low_stock after update of stock on public.products
for each row when (
    new.track_stock and new.stock <= new.low_stock_threshold and old.stock > new.low_stock_threshold
)
execute function private.tg_emit_low_stock();

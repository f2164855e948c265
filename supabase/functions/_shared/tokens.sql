-- Secret tokens (invitation tokens, API keys): generated here, stored only as SHA-256.
-- Repeatable: re-applied by `luneo db apply` whenever this file changes.

-- == new_token ===================================================================================

create or replace function private.new_token(prefix text)
returns text
language sql
volatile
set search_path = ''
as $$
    -- two version-4 UUIDs: 244 random bits, URL-safe base64 without padding (43 characters)
    select new_token.prefix || translate(
        encode(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()), 'base64'), '+/=', '-_'
    )
$$;

comment on function private.new_token(text) is
'A new secret: the prefix followed by 244 random bits in URL-safe base64 (core gen_random_uuid only).';

revoke execute on function private.new_token(text) from public, anon, authenticated;

-- == hash_token ==================================================================================

create or replace function private.hash_token(token text)
returns bytea
language sql
immutable
strict
set search_path = ''
as $$
    select sha256(convert_to(hash_token.token, 'UTF8'))
$$;

comment on function private.hash_token(text) is 'SHA-256 of a token, as stored at rest.';

revoke execute on function private.hash_token(text) from public, anon, authenticated;

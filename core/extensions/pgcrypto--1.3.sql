-- pgcrypto 1.3: Luneo's SQL implementation for the embedded server.
--
-- The pgserver wheel behind Luneo's embedded PostgreSQL ships no pgcrypto (its C code needs
-- OpenSSL). Luneo copies this script and pgcrypto.control into that server's extension
-- directory when it has no pgcrypto of its own, so that migrations written for Supabase
-- (`create extension if not exists pgcrypto with schema extensions;`, then gen_random_bytes(),
-- digest(), hmac()) apply unchanged. Every other server keeps its real pgcrypto.
--
-- Provided, with the real functions' signatures, volatility and errors:
--   gen_random_bytes(integer)        1 to 1024 bytes from pg_catalog.gen_random_uuid()
--   gen_random_uuid()                pg_catalog.gen_random_uuid()
--   digest(bytea | text, text)       md5, sha1, sha224, sha256, sha384, sha512
--   hmac(bytea | text, bytea | text, text)  RFC 2104 over those digests
-- crypt(text, text) and gen_salt(text [, integer]) exist so that function bodies calling them
-- are created, but raise feature_not_supported when called. pgp_*, encrypt(), decrypt(),
-- armor() and the other functions of the real extension are absent.
--
-- Relocatable, as the real extension: CREATE EXTENSION runs this script with the target schema
-- as the search_path. Functions that call one another have SQL-standard bodies, bound when they
-- are created, so `alter extension pgcrypto set schema ...` keeps them working; the plpgsql
-- functions call only pg_catalog, with search_path set to ''.

-- ---------------------------------------------------------------------------------------------
-- Random values
-- ---------------------------------------------------------------------------------------------

-- gen_random_uuid() draws from pg_strong_random(), as the real gen_random_bytes() does; a
-- version 4 uuid has 122 random bits: bytes 0-5, 7 and 9-15 are wholly random.
create function gen_random_bytes(count integer)
returns bytea
language plpgsql
volatile strict parallel safe
set search_path = ''
as $function$
declare
    bytes bytea := ''::bytea;
    uuid_bytes bytea;
begin
    if gen_random_bytes.count < 1 or gen_random_bytes.count > 1024 then
        raise exception 'Length not in range' using errcode = 'external_routine_invocation_exception';
    end if;
    while pg_catalog.length(bytes) < gen_random_bytes.count loop
        uuid_bytes := pg_catalog.uuid_send(pg_catalog.gen_random_uuid());
        bytes := bytes
        || pg_catalog.substr(uuid_bytes, 1, 6)
        || pg_catalog.substr(uuid_bytes, 8, 1)
        || pg_catalog.substr(uuid_bytes, 10, 7);
    end loop;
    return pg_catalog.substr(bytes, 1, gen_random_bytes.count);
end
$function$;

comment on function gen_random_bytes(integer) is
'count cryptographically strong random bytes (1 to 1024), from pg_catalog.gen_random_uuid() '
'(Luneo''s SQL pgcrypto)';

create function gen_random_uuid()
returns uuid
language sql
volatile parallel safe
return pg_catalog.gen_random_uuid();

comment on function gen_random_uuid() is
'a random version 4 uuid: pg_catalog.gen_random_uuid() (Luneo''s SQL pgcrypto)';

-- ---------------------------------------------------------------------------------------------
-- Digests
-- ---------------------------------------------------------------------------------------------

-- md5 and the SHA-2 family come from pg_catalog; SHA-1, which core PostgreSQL lacks, is
-- computed here as FIPS 180-4 describes it, on 32-bit words held in bigint. It runs in plpgsql:
-- fine for keys, tokens and names, slow for megabytes.
create function digest(data bytea, type text)
returns bytea
language plpgsql
immutable strict parallel safe
set search_path = ''
as $function$
declare
    mask constant bigint := 4294967295;
    message bytea;
    h bigint[];
    w bigint[] := pg_catalog.array_fill(0::bigint, array[80], array[0]);
    a bigint;
    b bigint;
    c bigint;
    d bigint;
    e bigint;
    f bigint;
    k bigint;
    t bigint;
begin
    case pg_catalog.lower(digest.type)
        when 'md5' then return pg_catalog.decode(pg_catalog.md5(digest.data), 'hex');
        when 'sha224' then return pg_catalog.sha224(digest.data);
        when 'sha256' then return pg_catalog.sha256(digest.data);
        when 'sha384' then return pg_catalog.sha384(digest.data);
        when 'sha512' then return pg_catalog.sha512(digest.data);
        when 'sha1' then null;
        else
            raise exception 'Cannot use "%": No such hash algorithm', pg_catalog.lower(digest.type)
            using errcode = 'invalid_parameter_value';
    end case;

    -- padding: a 0x80 byte, zeros up to 56 bytes modulo 64, the length in bits on 8 bytes
    message := digest.data || pg_catalog.decode(
        '80'
        || pg_catalog.repeat('00', (119 - pg_catalog.length(digest.data) % 64) % 64)
        || pg_catalog.lpad(pg_catalog.to_hex(pg_catalog.length(digest.data)::bigint * 8), 16, '0'),
        'hex'
    );
    h := array[x'67452301'::bigint, x'efcdab89'::bigint, x'98badcfe'::bigint, x'10325476'::bigint,
    x'c3d2e1f0'::bigint];
    for chunk in 0 .. pg_catalog.length(message) / 64 - 1 loop
        for i in 0 .. 15 loop
            w[i] := ('x' || pg_catalog.encode(pg_catalog.substr(message, chunk * 64 + i * 4 + 1, 4), 'hex'))
            ::bit(32)::bigint;
        end loop;
        for i in 16 .. 79 loop
            t := w[i - 3] # w[i - 8] # w[i - 14] # w[i - 16];
            w[i] := ((t << 1) | (t >> 31)) & mask;
        end loop;
        a := h[1];
        b := h[2];
        c := h[3];
        d := h[4];
        e := h[5];
        for i in 0 .. 79 loop
            if i < 20 then
                f := (b & c) | ((~b) & d);
                k := x'5a827999'::bigint;
            elsif i < 40 then
                f := b # c # d;
                k := x'6ed9eba1'::bigint;
            elsif i < 60 then
                f := (b & c) | (b & d) | (c & d);
                k := x'8f1bbcdc'::bigint;
            else
                f := b # c # d;
                k := x'ca62c1d6'::bigint;
            end if;
            t := ((((a << 5) | (a >> 27)) & mask) + f + e + k + w[i]) & mask;
            e := d;
            d := c;
            c := ((b << 30) | (b >> 2)) & mask;
            b := a;
            a := t;
        end loop;
        h[1] := (h[1] + a) & mask;
        h[2] := (h[2] + b) & mask;
        h[3] := (h[3] + c) & mask;
        h[4] := (h[4] + d) & mask;
        h[5] := (h[5] + e) & mask;
    end loop;
    return pg_catalog.decode(
        pg_catalog.lpad(pg_catalog.to_hex(h[1]), 8, '0')
        || pg_catalog.lpad(pg_catalog.to_hex(h[2]), 8, '0')
        || pg_catalog.lpad(pg_catalog.to_hex(h[3]), 8, '0')
        || pg_catalog.lpad(pg_catalog.to_hex(h[4]), 8, '0')
        || pg_catalog.lpad(pg_catalog.to_hex(h[5]), 8, '0'),
        'hex'
    );
end
$function$;

comment on function digest(bytea, text) is
'the md5, sha1, sha224, sha256, sha384 or sha512 digest of data (Luneo''s SQL pgcrypto)';

-- text is hashed as its bytes in the database encoding, as the real extension does
create function digest(data text, type text)
returns bytea
language sql
immutable strict parallel safe
return digest(pg_catalog.convert_to(digest.data, pg_catalog.getdatabaseencoding()), digest.type);

comment on function digest(text, text) is
'the md5, sha1, sha224, sha256, sha384 or sha512 digest of data (Luneo''s SQL pgcrypto)';

-- ---------------------------------------------------------------------------------------------
-- HMAC (RFC 2104)
-- ---------------------------------------------------------------------------------------------

-- H((K xor opad) || H((K xor ipad) || data)), K being the key (hashed first when longer than
-- the block) zero-padded to the digest's block size. An unknown algorithm leaves no block size
-- and no pads, and digest() then raises its error.
create function hmac(data bytea, key bytea, type text)
returns bytea
language sql
immutable strict parallel safe
begin atomic
    with
    algorithm as (
        select
            case pg_catalog.lower(hmac.type)
                when 'md5' then 64
                when 'sha1' then 64
                when 'sha224' then 64
                when 'sha256' then 64
                when 'sha384' then 128
                when 'sha512' then 128
            end as block_size
    ),

    block_key as (
        select
            algorithm.block_size,
            case
                when pg_catalog.length(hmac.key) > algorithm.block_size then digest(hmac.key, hmac.type)
                else hmac.key
            end as bytes
        from algorithm
    ),

    key_bytes as (
        select
            positions.i,
            case
                when positions.i < pg_catalog.length(block_key.bytes)
                    then pg_catalog.get_byte(block_key.bytes, positions.i)
                else 0
            end as value
        from block_key
        cross join lateral pg_catalog.generate_series(0, block_key.block_size - 1) as positions (i)
    ),

    pads as (
        select
            pg_catalog.decode(
                pg_catalog.string_agg(
                    pg_catalog.lpad(pg_catalog.to_hex(pg_catalog.int4xor(key_bytes.value, 54)), 2, '0'),
                    ''
                    order by key_bytes.i
                ),
                'hex'
            ) as inner_pad,
            pg_catalog.decode(
                pg_catalog.string_agg(
                    pg_catalog.lpad(pg_catalog.to_hex(pg_catalog.int4xor(key_bytes.value, 92)), 2, '0'),
                    ''
                    order by key_bytes.i
                ),
                'hex'
            ) as outer_pad
        from key_bytes
    )

    select
        digest(
            coalesce(pads.outer_pad, ''::bytea)
            || digest(coalesce(pads.inner_pad, ''::bytea) || hmac.data, hmac.type),
            hmac.type
        )
    from pads;
end;

comment on function hmac(bytea, bytea, text) is
'the HMAC (RFC 2104) of data under key with the md5, sha1, sha224, sha256, sha384 or sha512 '
'digest (Luneo''s SQL pgcrypto)';

create function hmac(data text, key text, type text)
returns bytea
language sql
immutable strict parallel safe
return hmac(
    pg_catalog.convert_to(hmac.data, pg_catalog.getdatabaseencoding()),
    pg_catalog.convert_to(hmac.key, pg_catalog.getdatabaseencoding()),
    hmac.type
);

comment on function hmac(text, text, text) is
'the HMAC (RFC 2104) of data under key with the md5, sha1, sha224, sha256, sha384 or sha512 '
'digest (Luneo''s SQL pgcrypto)';

-- ---------------------------------------------------------------------------------------------
-- Password hashing: not implemented
-- ---------------------------------------------------------------------------------------------

-- Defined so that migrations whose functions call them are created; a call fails loudly.
create function crypt(password text, salt text)
returns text
language plpgsql
immutable strict parallel safe
set search_path = ''
as $function$
begin
    raise exception 'crypt() is not available on the embedded server'
    using
        errcode = 'feature_not_supported',
        detail = 'The embedded server''s pgcrypto is Luneo''s SQL implementation: digest(), hmac(), '
        'gen_random_bytes() and gen_random_uuid() only, without crypt(), gen_salt() or pgp_*.',
        hint = 'Set DATABASE_URL (or pass --db-url) to a PostgreSQL server with the real pgcrypto '
        'extension: Supabase, supabase start, or a server with the contrib package.';
end
$function$;

comment on function crypt(text, text) is
'not available in Luneo''s SQL pgcrypto: raises feature_not_supported';

create function gen_salt(type text)
returns text
language plpgsql
volatile strict parallel safe
set search_path = ''
as $function$
begin
    raise exception 'gen_salt() is not available on the embedded server'
    using
        errcode = 'feature_not_supported',
        detail = 'The embedded server''s pgcrypto is Luneo''s SQL implementation: digest(), hmac(), '
        'gen_random_bytes() and gen_random_uuid() only, without crypt(), gen_salt() or pgp_*.',
        hint = 'Set DATABASE_URL (or pass --db-url) to a PostgreSQL server with the real pgcrypto '
        'extension: Supabase, supabase start, or a server with the contrib package.';
end
$function$;

comment on function gen_salt(text) is
'not available in Luneo''s SQL pgcrypto: raises feature_not_supported';

create function gen_salt(type text, rounds integer)
returns text
language sql
volatile strict parallel safe
return gen_salt(gen_salt.type);

comment on function gen_salt(text, integer) is
'not available in Luneo''s SQL pgcrypto: raises feature_not_supported';

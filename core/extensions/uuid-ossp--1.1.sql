-- uuid-ossp 1.1: Luneo's SQL implementation for the embedded server.
--
-- The pgserver wheel behind Luneo's embedded PostgreSQL ships no uuid-ossp (its C code needs
-- libuuid). Luneo copies this script and uuid-ossp.control into that server's extension
-- directory when it has no uuid-ossp of its own, so that migrations written for Supabase
-- (`create extension if not exists "uuid-ossp" with schema extensions;`, then
-- uuid_generate_v4() in column defaults) apply unchanged. Every other server keeps its real
-- uuid-ossp.
--
-- Every function of the real extension, with its signature and volatility (RFC 4122):
--   uuid_nil(), uuid_ns_dns(), uuid_ns_url(), uuid_ns_oid(), uuid_ns_x500()   the constants
--   uuid_generate_v1(), uuid_generate_v1mc()   time-based; see below for the node
--   uuid_generate_v3(namespace, name)          md5 name-based, the same values as the real one
--   uuid_generate_v4()                         pg_catalog.gen_random_uuid()
--   uuid_generate_v5(namespace, name)          SHA-1 name-based, the same values as the real one
--
-- Relocatable, as the real extension: functions that call one another have SQL-standard
-- bodies, bound when they are created; the plpgsql one calls only pg_catalog, with search_path
-- set to ''.

-- ---------------------------------------------------------------------------------------------
-- Constants
-- ---------------------------------------------------------------------------------------------

create function uuid_nil()
returns uuid
language sql
immutable strict parallel safe
return '00000000-0000-0000-0000-000000000000'::pg_catalog.uuid;

comment on function uuid_nil() is 'the nil uuid (Luneo''s SQL uuid-ossp)';

create function uuid_ns_dns()
returns uuid
language sql
immutable strict parallel safe
return '6ba7b810-9dad-11d1-80b4-00c04fd430c8'::pg_catalog.uuid;

comment on function uuid_ns_dns() is 'the RFC 4122 namespace of DNS names (Luneo''s SQL uuid-ossp)';

create function uuid_ns_url()
returns uuid
language sql
immutable strict parallel safe
return '6ba7b811-9dad-11d1-80b4-00c04fd430c8'::pg_catalog.uuid;

comment on function uuid_ns_url() is 'the RFC 4122 namespace of URLs (Luneo''s SQL uuid-ossp)';

create function uuid_ns_oid()
returns uuid
language sql
immutable strict parallel safe
return '6ba7b812-9dad-11d1-80b4-00c04fd430c8'::pg_catalog.uuid;

comment on function uuid_ns_oid() is 'the RFC 4122 namespace of ISO object identifiers (Luneo''s SQL uuid-ossp)';

create function uuid_ns_x500()
returns uuid
language sql
immutable strict parallel safe
return '6ba7b814-9dad-11d1-80b4-00c04fd430c8'::pg_catalog.uuid;

comment on function uuid_ns_x500() is 'the RFC 4122 namespace of X.500 names (Luneo''s SQL uuid-ossp)';

-- ---------------------------------------------------------------------------------------------
-- Time-based (version 1)
-- ---------------------------------------------------------------------------------------------

-- The timestamp counts 100 ns intervals since 1582-10-15 (122192928000000000 of them before
-- 1970-01-01), from clock_timestamp(), so at microsecond precision. The real extension uses
-- the host's MAC address as the node and a clock sequence kept in a file; with neither, every
-- uuid gets a random 14-bit clock sequence and a random node with the multicast bit set (RFC
-- 4122, section 4.5), all from pg_catalog.gen_random_uuid(), whose bytes 0-5 and 10-15 are
-- random. Two uuids of the same microsecond still differ in 61 random bits.
create function uuid_generate_v1()
returns uuid
language sql
volatile strict parallel safe
begin atomic
    select
        pg_catalog.concat_ws(
            '-',
            pg_catalog.lpad(pg_catalog.to_hex(generated.ticks & 4294967295), 8, '0'),
            pg_catalog.lpad(pg_catalog.to_hex((generated.ticks >> 32) & 65535), 4, '0'),
            pg_catalog.lpad(pg_catalog.to_hex(((generated.ticks >> 48) & 4095) | 4096), 4, '0'),
            pg_catalog.lpad(pg_catalog.to_hex((pg_catalog.get_byte(generated.random, 0) & 63) | 128), 2, '0')
            || pg_catalog.encode(pg_catalog.substr(generated.random, 2, 1), 'hex'),
            pg_catalog.lpad(pg_catalog.to_hex(pg_catalog.get_byte(generated.random, 10) | 1), 2, '0')
            || pg_catalog.encode(pg_catalog.substr(generated.random, 12, 5), 'hex')
        )::pg_catalog.uuid
    from (
        select
            (extract(epoch from pg_catalog.clock_timestamp()) * 10000000)::bigint
            + 122192928000000000 as ticks,
            pg_catalog.uuid_send(pg_catalog.gen_random_uuid()) as random
    ) as generated;
end;

comment on function uuid_generate_v1() is
'a version 1 (time-based) uuid with a random multicast node (Luneo''s SQL uuid-ossp)';

-- As the real extension: the node is random, with the multicast and locally-administered bits.
create function uuid_generate_v1mc()
returns uuid
language sql
volatile strict parallel safe
begin atomic
    select
        pg_catalog.encode(
            pg_catalog.set_byte(v1.bytes, 10, pg_catalog.get_byte(v1.bytes, 10) | 3), 'hex'
        )::pg_catalog.uuid
    from (select pg_catalog.uuid_send(uuid_generate_v1()) as bytes) as v1;
end;

comment on function uuid_generate_v1mc() is
'a version 1 (time-based) uuid with a random multicast, locally administered node '
'(Luneo''s SQL uuid-ossp)';

-- ---------------------------------------------------------------------------------------------
-- Name-based (versions 3 and 5) and random (version 4)
-- ---------------------------------------------------------------------------------------------

-- The name is hashed as its bytes in the database encoding, as the real extension does.
create function uuid_generate_v3(namespace uuid, name text)
returns uuid
language sql
immutable strict parallel safe
begin atomic
    select
        pg_catalog.encode(
            pg_catalog.set_byte(
                pg_catalog.set_byte(hashed.bytes, 6, (pg_catalog.get_byte(hashed.bytes, 6) & 15) | 48),
                8,
                (pg_catalog.get_byte(hashed.bytes, 8) & 63) | 128
            ),
            'hex'
        )::pg_catalog.uuid
    from (
        select
            pg_catalog.decode(
                pg_catalog.md5(
                    pg_catalog.uuid_send(uuid_generate_v3.namespace)
                    || pg_catalog.convert_to(uuid_generate_v3.name, pg_catalog.getdatabaseencoding())
                ),
                'hex'
            ) as bytes
    ) as hashed;
end;

comment on function uuid_generate_v3(uuid, text) is
'the version 3 (md5 name-based) uuid of name in namespace (Luneo''s SQL uuid-ossp)';

create function uuid_generate_v4()
returns uuid
language sql
volatile strict parallel safe
return pg_catalog.gen_random_uuid();

comment on function uuid_generate_v4() is
'a random version 4 uuid: pg_catalog.gen_random_uuid() (Luneo''s SQL uuid-ossp)';

-- SHA-1, which core PostgreSQL lacks, is computed here as FIPS 180-4 describes it, on 32-bit
-- words held in bigint (the same code as in Luneo's pgcrypto: each extension stands alone).
create function uuid_generate_v5(namespace uuid, name text)
returns uuid
language plpgsql
immutable strict parallel safe
set search_path = ''
as $function$
declare
    mask constant bigint := 4294967295;
    data bytea := pg_catalog.uuid_send(uuid_generate_v5.namespace)
    || pg_catalog.convert_to(uuid_generate_v5.name, pg_catalog.getdatabaseencoding());
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
    hashed bytea;
begin
    -- padding: a 0x80 byte, zeros up to 56 bytes modulo 64, the length in bits on 8 bytes
    message := data || pg_catalog.decode(
        '80'
        || pg_catalog.repeat('00', (119 - pg_catalog.length(data) % 64) % 64)
        || pg_catalog.lpad(pg_catalog.to_hex(pg_catalog.length(data)::bigint * 8), 16, '0'),
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
    -- the first 16 of the 20 bytes, with the version (5) and the RFC 4122 variant
    hashed := pg_catalog.decode(
        pg_catalog.lpad(pg_catalog.to_hex(h[1]), 8, '0')
        || pg_catalog.lpad(pg_catalog.to_hex(h[2]), 8, '0')
        || pg_catalog.lpad(pg_catalog.to_hex(h[3]), 8, '0')
        || pg_catalog.lpad(pg_catalog.to_hex(h[4]), 8, '0'),
        'hex'
    );
    hashed := pg_catalog.set_byte(hashed, 6, (pg_catalog.get_byte(hashed, 6) & 15) | 80);
    hashed := pg_catalog.set_byte(hashed, 8, (pg_catalog.get_byte(hashed, 8) & 63) | 128);
    return pg_catalog.encode(hashed, 'hex')::pg_catalog.uuid;
end
$function$;

comment on function uuid_generate_v5(uuid, text) is
'the version 5 (SHA-1 name-based) uuid of name in namespace (Luneo''s SQL uuid-ossp)';

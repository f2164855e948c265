-- Luneo compat stand-in, part 5 of 6: Supabase Realtime.
--
-- Purpose: what app migrations use of Supabase Realtime. Postgres Changes: the publication
-- supabase_realtime, created empty, so `alter publication supabase_realtime add table ...`
-- works. Broadcast and Presence authorization: the realtime.messages table that RLS policies
-- are written on, realtime.topic() those policies call, and realtime.send() /
-- realtime.broadcast_changes() that triggers call to broadcast. There is no Realtime server
-- here: messages are only stored.
--
-- Objects touched (this database only):
--   publication  supabase_realtime (publishes insert, update, delete, truncate; no table)
--   schema       realtime
--   table        realtime.messages: Supabase's columns and key; RLS enabled with no policy;
--                select, insert, update to anon, authenticated and service_role
--   functions    realtime.topic(), realtime.send(jsonb, text, text, boolean),
--                realtime.broadcast_changes(text, text, text, text, text, record, record, text)

do $publication$
begin
    if not exists (select from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
        create publication supabase_realtime;
    end if;
end
$publication$;

comment on publication supabase_realtime is
'Tables whose changes Supabase Realtime streams (luneo compat stand-in: nothing reads it).';

create schema if not exists realtime;

comment on schema realtime is 'luneo compat stand-in for Supabase realtime';

grant usage on schema realtime to anon, authenticated, service_role;

-- On Supabase this table is partitioned by day by the Realtime server; a plain table here.
create table if not exists realtime.messages (
    topic text not null,
    extension text not null,
    payload jsonb,
    event text,
    private boolean default false,
    updated_at timestamp not null default now(),
    inserted_at timestamp not null default now(),
    id uuid not null default gen_random_uuid(),
    constraint messages_pkey primary key (id, inserted_at)
);

comment on table realtime.messages is
'Broadcast and presence messages; RLS policies on it authorize private channels (luneo compat stand-in).';

alter table realtime.messages enable row level security;

grant select, insert, update on table realtime.messages to anon, authenticated, service_role;

create or replace function realtime.topic()
returns text
language sql
stable
as $$
    select nullif(current_setting('realtime.topic', true), '')::text;
$$;

comment on function realtime.topic() is
'Channel topic being authorized (realtime.topic setting), for policies on realtime.messages.';

create or replace function realtime.send(payload jsonb, event text, topic text, private boolean default true)
returns void
language plpgsql
as $$
begin
    begin
        perform set_config('realtime.topic', topic, true);
        insert into realtime.messages (payload, event, topic, private, extension)
        values (payload, event, topic, private, 'broadcast');
    exception
        when others then
            raise warning 'ErrorSendingBroadcastMessage: %', sqlerrm;
    end;
end;
$$;

comment on function realtime.send(jsonb, text, text, boolean) is
'Broadcasts payload as event on topic (stores a realtime.messages row); failures only warn.';

create or replace function realtime.broadcast_changes(
    topic_name text,
    event_name text,
    operation text,
    table_name text,
    table_schema text,
    new record,
    old record,
    level text default 'ROW'
)
returns void
language plpgsql
as $$
declare
    row_data jsonb := '{}'::jsonb;
begin
    if level = 'STATEMENT' then
        raise exception 'function can only be triggered for each row, not for each statement';
    end if;
    if operation in ('INSERT', 'UPDATE', 'DELETE') then
        row_data := jsonb_build_object(
            'old_record', old, 'record', new, 'operation', operation, 'table', table_name, 'schema', table_schema
        );
        perform realtime.send(row_data, event_name, topic_name);
    else
        raise exception 'Unexpected operation type: %', operation;
    end if;
exception
    when others then
        raise exception 'Failed to process the row: %', sqlerrm;
end;
$$;

comment on function realtime.broadcast_changes(text, text, text, text, text, record, record, text) is
'For row triggers: broadcasts the old and new row of a change on topic_name.';

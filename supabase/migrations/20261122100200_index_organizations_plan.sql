-- index organizations plan
--
-- Purpose: the index behind organizations_plan_fkey (added by 20261122100000): changing or
--          deleting a plan finds the organisations on it without reading them all. Built
--          concurrently: organisations keep being written meanwhile.
-- Touches: index organizations_plan_idx.
-- Destructive: no.

create index concurrently organizations_plan_idx on public.organizations (plan);

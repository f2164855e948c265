"""Applying Stripe events in SQL (supabase/functions/billing/): exactly once in effect, whatever
the duplicates, the arrival order, the failures and the replays.

Events are built with Stripe's object shapes (tests/support/stripe_events.py) and go through the
inbox's own functions (receive, then apply) as the receiver and the worker call them. Real
Postgres; the superuser prepares and inspects.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

import pytest

from luneo.workers.emails.render import render
from luneo.workers.emails.worker import compose
from tests.integration.commerce.test_orders import order_for, set_status, stock_of
from tests.support import stripe_events as s
from tests.support.postgrest import fails
from tests.support.runner import sql
from tests.support.team import Team

T0 = int(time.time()) + 10_000
"""A time after every event the fixtures make "now": events at T0 and later are the newest."""


def store(url: str, evt: dict[str, Any]) -> bool:
    return sql(url, "select private.receive_stripe_event(%s::jsonb)", [json.dumps(evt)])[0][0]


def apply(url: str, evt: dict[str, Any]) -> str:
    return sql(url, "select private.apply_stripe_event(%s)", [evt["id"]])[0][0]


def deliver(url: str, *events: dict[str, Any]) -> list[str]:
    """Store then apply each event, as the receiver and the worker do."""
    outcomes = []
    for evt in events:
        store(url, evt)
        outcomes.append(apply(url, evt))
    return outcomes


def inbox(url: str, evt: dict[str, Any]) -> dict[str, Any]:
    ((status, attempts, error, note, applied_at),) = sql(
        url,
        "select status, attempts, last_error, note, applied_at from private.stripe_events where id = %s",
        [evt["id"]],
    )
    return {"status": status, "attempts": attempts, "error": error, "note": note, "applied_at": applied_at}


def rendered_emails(team: Team, kind: str) -> list[tuple[str, str]]:
    """Each queued email of the kind as the emails worker renders it: (subject, text)."""
    jobs = team.superuser(
        "select e.template, e.locale, private.email_context(e) as context from private.email_outbox as e"
        " where e.kind = %s order by e.recipient",
        [kind],
    )
    out = []
    for job in jobs:
        data, _ = compose(
            job["context"], "https://app.luneo.example", "https://hooks.luneo.example/unsubscribe"
        )
        email = render(job["template"], job["locale"], data)
        out.append((email.subject, email.text))
    return out


def organization(team: Team) -> dict[str, Any]:
    (row,) = team.superuser("select plan, seat_limit from public.organizations where id = %s", [team.org_id])
    return row


def subscription_state(team: Team, sub_id: str) -> dict[str, Any]:
    (row,) = team.superuser(
        "select status, quantity, plan_id, cancel_at_period_end, current_period_end from public.subscriptions"
        " where stripe_subscription_id = %s",
        [sub_id],
    )
    return row


def pro_plan(url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The pro plan's Stripe product and price, applied."""
    prod = s.product("pro", seats="20", designs_per_month="1000")
    price = s.price(prod["id"])
    assert deliver(url, s.event("product.created", prod), s.event("price.created", price)) == [
        "applied",
        "applied",
    ]
    return prod, price


def linked_customer(team: Team) -> dict[str, Any]:
    cus = s.customer(team.org_id)
    assert deliver(team.url, s.event("customer.created", cus)) == ["applied"]
    return cus


# == the inbox ====================================================================================


def test_a_duplicate_event_is_stored_once_and_applied_once(team: Team) -> None:
    cus = s.customer(team.org_id)
    evt = s.event("customer.created", cus)
    assert store(team.url, evt) is True
    assert store(team.url, evt) is False
    assert apply(team.url, evt) == "applied"
    state = (
        "select stripe_customer_id, email, name, deleted_at from public.customers where organization_id = %s"
    )
    before = team.superuser(state, [team.org_id])
    assert store(team.url, evt) is False  # Stripe sends it again after it was applied
    assert apply(team.url, evt) == "applied"  # and a replay writes the same state
    assert team.superuser(state, [team.org_id]) == before
    assert sql(team.url, "select count(*) from private.stripe_events where id = %s", [evt["id"]]) == [(1,)]


def test_an_unknown_type_is_stored_and_marked_ignored(team: Team) -> None:
    evt = s.event(
        "radar.early_fraud_warning.created", {"id": "issfr_1", "object": "radar.early_fraud_warning"}
    )
    assert deliver(team.url, evt) == ["ignored"]
    assert inbox(team.url, evt)["note"] == "no handler for this event type"


def test_json_that_is_not_an_event_is_refused_and_nothing_stored(team: Team) -> None:
    for bad in ({"id": "evt_1"}, {"id": "evt_1", "type": "x", "created": 1, "data": {}}, []):
        with pytest.raises(Exception, match="not a Stripe event"):
            sql(team.url, "select private.receive_stripe_event(%s::jsonb)", [json.dumps(bad)])
    assert sql(team.url, "select count(*) from private.stripe_events") == [(0,)]


# == subscriptions: order, ties, plan and seats ===================================================


def lifecycle(team: Team, price: dict[str, Any], cus: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """A subscription's life as Stripe reports it: created incomplete, active, seats raised, set
    to cancel, renewed, then deleted. Some events share a second, as they do in Stripe."""
    t = T0
    sub_id = s.new_id("sub")

    def at(created: int, type: str, **fields: Any) -> dict[str, Any]:
        obj = s.subscription(cus["id"], price, id=sub_id, now=T0, **fields)
        return s.event(type, obj, created=created)

    return sub_id, [
        at(t, "customer.subscription.created", status="incomplete"),
        at(t, "customer.subscription.updated", status="active"),  # same second: rank decides
        at(t + 60, "customer.subscription.updated", status="active", quantity=12),
        at(t + 120, "customer.subscription.updated", status="past_due", quantity=12),
        at(t + 180, "customer.subscription.updated", status="active", quantity=15, cancel_at_period_end=True),
    ]


def test_a_subscription_sets_the_plan_and_seats_and_its_end_brings_the_free_plan_back(team: Team) -> None:
    _, price = pro_plan(team.url)
    cus = linked_customer(team)
    sub_id, events = lifecycle(team, price, cus)
    assert deliver(team.url, *events) == ["applied"] * len(events)
    state = subscription_state(team, sub_id)
    assert (state["status"], state["quantity"], state["plan_id"], state["cancel_at_period_end"]) == (
        "active", 15, "pro", True,
    )  # fmt: skip
    assert organization(team) == {"plan": "pro", "seat_limit": 20}  # the plan's 20 seats, more than 15 bought
    ended = s.event(
        "customer.subscription.deleted",
        s.subscription(cus["id"], price, id=sub_id, status="canceled", quantity=15),
        created=events[-1]["created"] + 3600,
    )
    assert deliver(team.url, ended) == ["applied"]
    assert organization(team) == {"plan": "free", "seat_limit": 5}


@pytest.mark.parametrize("seed", range(6))
def test_a_lifecycle_delivered_in_any_order_ends_in_the_same_state(team: Team, seed: int) -> None:
    _, price = pro_plan(team.url)
    cus = linked_customer(team)
    sub_id, events = lifecycle(team, price, cus)
    deliver(team.url, *events)
    in_order = (subscription_state(team, sub_id), organization(team))

    # the same life, a second subscription, shuffled (and some events sent twice)
    team.superuser("delete from public.subscriptions")
    sub_id, events = lifecycle(team, price, cus)
    shuffled = events + random.Random(seed).sample(events, 2)
    random.Random(seed).shuffle(shuffled)
    outcomes = deliver(team.url, *shuffled)
    assert set(outcomes) <= {"applied", "ignored"}
    assert (subscription_state(team, sub_id), organization(team)) == in_order


def test_an_older_event_never_overwrites_newer_state(team: Team) -> None:
    _, price = pro_plan(team.url)
    cus = linked_customer(team)
    sub_id, events = lifecycle(team, price, cus)
    newest, older = events[-1], events[2]
    assert deliver(team.url, newest, older) == ["applied", "ignored"]
    assert inbox(team.url, older)["note"].startswith("superseded")
    assert subscription_state(team, sub_id)["quantity"] == 15


def test_a_subscription_before_its_customer_is_retried_then_applied(team: Team) -> None:
    _, price = pro_plan(team.url)
    cus = s.customer(team.org_id)
    sub = s.event("customer.subscription.created", s.subscription(cus["id"], price))
    assert deliver(team.url, sub) == ["retry"]
    failed = inbox(team.url, sub)
    assert failed["status"] == "pending"
    assert failed["attempts"] == 1
    assert "not linked to an organisation yet" in failed["error"]
    assert sql(
        team.url, "select next_attempt_at > now() from private.stripe_events where id = %s", [sub["id"]]
    ) == [(True,)]
    deliver(team.url, s.event("customer.created", cus))
    assert apply(team.url, sub) == "applied"  # the worker's next attempt
    assert inbox(team.url, sub)["error"] is None
    assert organization(team)["plan"] == "pro"


def test_an_event_failing_every_time_gives_up_after_its_schedule_and_stays_visible(team: Team) -> None:
    _, price = pro_plan(team.url)
    sub = s.event("customer.subscription.created", s.subscription("cus_nobody", price))
    store(team.url, sub)
    outcomes = [apply(team.url, sub) for _ in range(9)]
    assert outcomes == ["retry"] * 8 + ["failed"]
    failed = inbox(team.url, sub)
    assert (failed["status"], failed["attempts"]) == ("failed", 9)
    assert sql(team.url, "select next_attempt_at from private.stripe_events where id = %s", [sub["id"]]) == [
        (None,)
    ]


def price_event_id(url: str) -> str:
    return sql(url, "select id from private.stripe_events where type = 'price.created'")[0][0]


def test_products_and_prices_become_plans_and_a_price_before_its_product_waits(team: Team) -> None:
    prod = s.product("atelier", seats="8", designs_per_month="unlimited", api_calls_per_hour="5000")
    price = s.price(prod["id"], unit_amount=9900)
    assert deliver(team.url, s.event("price.created", price)) == ["retry"]
    assert deliver(team.url, s.event("product.created", prod)) == ["applied"]
    assert apply(team.url, {"id": price_event_id(team.url)}) == "applied"  # its retry
    (plan,) = team.superuser("select * from public.plans where id = 'atelier'")
    assert (plan["seats"], plan["designs_per_month"], plan["api_calls_per_hour"]) == (8, None, 5000)
    (row,) = team.superuser("select plan_id, unit_amount, currency, billing_interval from public.plan_prices")
    assert row == {"plan_id": "atelier", "unit_amount": 9900, "currency": "EUR", "billing_interval": "month"}
    # a product that is not a plan, and its price: ignored, not retried
    other = s.product(None)
    assert deliver(team.url, s.event("product.created", other), s.event("price.created", s.price(other["id"]))) == [
        "ignored", "ignored",
    ]  # fmt: skip
    bad = s.product("broken", seats="many")
    assert deliver(team.url, s.event("product.created", bad)) == ["retry"]


# == invoices, payment methods, notifications (issue 13's billing feeds) =========================


def test_invoices_are_kept_as_stripe_last_said_and_a_failed_payment_notifies_billing_readers(
    team: Team,
) -> None:
    cus = linked_customer(team)
    inv = s.invoice(cus["id"], None, status="open")
    t = T0
    failed = s.event("invoice.payment_failed", inv, created=t + 1)
    deliver(team.url, s.event("invoice.finalized", inv, created=t), failed)
    (row,) = team.superuser(
        "select status, amount_due, currency, hosted_invoice_url, billing_name from public.invoices"
        " where stripe_invoice_id = %s",
        [inv["id"]],
    )
    assert row == {
        "status": "open", "amount_due": 4900, "currency": "EUR",
        "hosted_invoice_url": inv["hosted_invoice_url"], "billing_name": "Maison Aurore",
    }  # fmt: skip
    readers = {team.people[r].id for r in ("admin", "owner")}
    notified = team.superuser(
        "select user_id from public.notifications where kind = 'billing.payment_failed'"
    )
    assert {n["user_id"] for n in notified} == readers
    emails = team.superuser(
        "select template, data from private.email_outbox where kind = 'billing.payment_failed' order by recipient"
    )
    assert {e["template"] for e in emails} == {"payment_failed"}
    assert len(emails) == 2
    assert emails[0]["data"]["amount"] == 4900
    assert emails[0]["data"]["description"] == inv["number"]
    rendered = rendered_emails(team, "billing.payment_failed")
    assert len(rendered) == 2
    for _subject, text in rendered:
        assert inv["number"] in text
        assert "https://app.luneo.example/settings/billing" in text
    # told once: a replay of the failure, or the same event again, adds nothing
    assert apply(team.url, failed) == "applied"
    assert (
        len(team.superuser("select 1 from public.notifications where kind = 'billing.payment_failed'")) == 2
    )
    # paid afterwards: the row says paid
    paid = dict(inv, status="paid", amount_paid=4900, amount_remaining=0)
    deliver(team.url, s.event("invoice.paid", paid, created=t + 5))
    assert team.superuser("select status from public.invoices where stripe_invoice_id = %s", [inv["id"]]) == [
        {"status": "paid"}
    ]


def test_a_payment_failure_arriving_after_the_invoice_was_paid_notifies_nobody(team: Team) -> None:
    cus = linked_customer(team)
    inv = s.invoice(cus["id"], None, status="open")
    t = T0
    deliver(
        team.url,
        s.event("invoice.paid", dict(inv, status="paid"), created=t + 10),
        s.event("invoice.payment_failed", inv, created=t),
    )
    assert team.superuser("select status from public.invoices") == [{"status": "paid"}]
    assert team.superuser("select 1 from public.notifications where kind = 'billing.payment_failed'") == []


def test_trial_will_end_notifies_billing_readers_once(team: Team) -> None:
    _, price = pro_plan(team.url)
    cus = linked_customer(team)
    sub = s.subscription(
        cus["id"], price, status="trialing", trial_end=T0 + 3 * 86400, trial_start=T0 - 11 * 86400
    )
    evt = s.event("customer.subscription.trial_will_end", sub)
    assert deliver(team.url, evt) == ["applied"]
    assert apply(team.url, evt) == "ignored"  # a replay: already told
    rows = team.superuser("select data from private.email_outbox where kind = 'billing.trial_ending'")
    assert len(rows) == 2
    assert rows[0]["data"]["plan_name"] == "Pro"
    assert rows[0]["data"]["trial_ends_at"].startswith(time.strftime("%Y-%m-%d", time.gmtime(T0 + 3 * 86400)))
    rendered = rendered_emails(team, "billing.trial_ending")
    assert len(rendered) == 2
    for _subject, text in rendered:
        assert "Pro" in text
        assert "https://app.luneo.example/settings/billing" in text


def test_payment_methods_follow_attach_detach_and_the_default(team: Team) -> None:
    cus = linked_customer(team)
    pm = s.payment_method(cus["id"])
    t = T0
    deliver(team.url, s.event("payment_method.attached", pm, created=t))
    with_default = dict(cus, invoice_settings={"default_payment_method": pm["id"]})
    deliver(team.url, s.event("customer.updated", with_default, created=t + 1))
    (row,) = team.superuser(
        "select brand, last4, exp_month, exp_year, is_default from public.payment_methods"
    )
    assert row == {"brand": "visa", "last4": "4242", "exp_month": 8, "exp_year": 2030, "is_default": True}
    deliver(team.url, s.event("payment_method.detached", dict(pm, customer=None), created=t + 2))
    assert team.superuser("select 1 from public.payment_methods") == []
    # the attach delivered again after the detach changes nothing
    assert deliver(team.url, s.event("payment_method.attached", pm, created=t)) == ["ignored"]
    assert team.superuser("select 1 from public.payment_methods") == []


# == orders: payment, failure, refunds ============================================================


def test_a_checkout_session_pays_its_order_once(team: Team) -> None:
    order, _, _ = order_for(team)
    session = s.checkout_session(order["id"], order["total_amount"])
    evt = s.event("checkout.session.completed", session)
    assert deliver(team.url, evt, evt) == ["applied", "applied"]
    again = s.event(
        "payment_intent.succeeded",
        s.payment_intent(order["id"], order["total_amount"], id=session["payment_intent"]),
    )
    assert deliver(team.url, again) == ["applied"]
    (row,) = team.superuser(
        "select status, stripe_checkout_session_id, stripe_payment_intent_id from public.orders where id = %s",
        [order["id"]],
    )
    assert row == {
        "status": "paid", "stripe_checkout_session_id": session["id"],
        "stripe_payment_intent_id": session["payment_intent"],
    }  # fmt: skip
    history = team.superuser(
        "select to_status from public.order_status_history where order_id = %s", [order["id"]]
    )
    assert [h["to_status"] for h in history].count("paid") == 1
    ledger = team.superuser("select kind from public.revenue_tracking where order_id = %s", [order["id"]])
    assert ledger == [{"kind": "payment"}]


def test_a_payment_of_another_amount_never_pays_the_order_and_is_visible(team: Team) -> None:
    order, _, _ = order_for(team)
    evt = s.event("checkout.session.completed", s.checkout_session(order["id"], order["total_amount"] - 1))
    assert deliver(team.url, evt) == ["retry"]
    assert "Stripe received" in inbox(team.url, evt)["error"]
    assert team.superuser("select status from public.orders where id = %s", [order["id"]]) == [
        {"status": "pending"}
    ]


def test_a_failed_payment_is_recorded_and_the_order_stays_pending(team: Team) -> None:
    order, _, _ = order_for(team)
    intent = s.payment_intent(
        order["id"], order["total_amount"], status="requires_payment_method",
        last_payment_error={"code": "card_declined", "message": "Your card was declined."},
    )  # fmt: skip
    assert deliver(team.url, s.event("payment_intent.payment_failed", intent)) == ["applied"]
    (row,) = team.superuser("select status, payment_error from public.orders where id = %s", [order["id"]])
    assert row == {"status": "pending", "payment_error": "Your card was declined."}


def paid_order(team: Team, quantity: int = 2) -> tuple[dict[str, Any], dict[str, Any], str]:
    order, ring, _ = order_for(team, quantity=quantity)
    intent = s.payment_intent(order["id"], order["total_amount"])
    assert deliver(team.url, s.event("payment_intent.succeeded", intent)) == ["applied"]
    return order, ring, intent["id"]


def test_a_full_refund_before_shipping_restocks_and_the_ledger_nets_to_zero(team: Team) -> None:
    order, ring, pi = paid_order(team, quantity=3)
    assert stock_of(team, ring["id"]) == 7
    total = order["total_amount"]
    partial = s.event("charge.refunded", s.charge(pi, total, 1000), created=T0)
    full = s.event("charge.refunded", s.charge(pi, total, total), created=1_790_000_100)
    assert deliver(team.url, partial, partial) == ["applied", "applied"]
    (row,) = team.superuser("select status, amount_refunded from public.orders where id = %s", [order["id"]])
    assert row == {"status": "paid", "amount_refunded": 1000}
    assert stock_of(team, ring["id"]) == 7  # a partial refund keeps the goods out
    deliver(team.url, full, partial)  # the older partial refund, again, after the full one
    (row,) = team.superuser("select status, amount_refunded from public.orders where id = %s", [order["id"]])
    assert row == {"status": "refunded", "amount_refunded": total}
    assert stock_of(team, ring["id"]) == 10  # refunded before shipping: back in stock
    (net,) = team.superuser(
        "select sum(amount)::bigint as net from public.revenue_tracking where order_id = %s", [order["id"]]
    )
    assert net["net"] == 0


def test_a_refund_after_shipping_restocks_nothing(team: Team) -> None:
    order, ring, pi = paid_order(team)
    manager = team.as_("manager")
    for status in ("processing", "shipped"):
        set_status(manager, order, status)
    total = order["total_amount"]
    assert deliver(team.url, s.event("charge.refunded", s.charge(pi, total, total))) == ["applied"]
    assert team.superuser("select status from public.orders where id = %s", [order["id"]]) == [
        {"status": "refunded"}
    ]
    assert stock_of(team, ring["id"]) == 8


# == quotas =======================================================================================


def test_designs_past_the_monthly_quota_are_refused(team: Team) -> None:
    team.superuser("update public.plans set designs_per_month = 2 where id = 'free'")
    designer = team.as_("designer")
    for n in range(2):
        designer.insert("designs", {"organization_id": team.org_id, "name": f"Ring {n}"})
    fails("LU401", designer.insert, "designs", {"organization_id": team.org_id, "name": "One too many"})
    assert len(team.superuser("select 1 from public.designs where organization_id = %s", [team.org_id])) == 2
    usage = {r["metric"]: r for r in team.as_("admin").rpc("organization_usage", organization_id=team.org_id)}
    assert (usage["designs"]["used"], usage["designs"]["quota"]) == (2, 2)
    assert usage["seats"]["quota"] == organization(team)["seat_limit"]
    fails("42501", team.as_("viewer").rpc, "organization_usage", organization_id=team.org_id)

"""Stripe billing: the webhook receiver, the worker applying events, Checkout and the Billing Portal."""

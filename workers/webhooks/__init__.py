"""Outgoing webhooks: signing, the SSRF guard, delivery."""

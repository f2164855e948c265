"""Outgoing email: messages, the providers that send them, and their deliverability events."""

"""Signatures: the spec's own test vector, and the reference library accepts what we send."""

from __future__ import annotations

import base64
import time
from importlib.metadata import version

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from luneo.workers.webhooks import signing

# The test vector of the Standard Webhooks libraries (libraries/python/tests/test_webhooks.py,
# test_sign_function; the same in the C# and Elixir tests of standard-webhooks/standard-webhooks).
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

BODY = b'{"type":"order.created","data":{"id":"7d6f"}}'


def test_the_spec_test_vector() -> None:
    assert signing.sign(VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY, [VECTOR_SECRET]) == VECTOR_SIGNATURE


def test_one_signature_per_secret_in_order() -> None:
    other = signing.new_secret()
    value = signing.sign(VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY, [other, VECTOR_SECRET])
    first, second = value.split(" ")
    assert second == VECTOR_SIGNATURE
    assert first.startswith("v1,")
    assert first != second


def test_the_reference_library_verifies_our_headers() -> None:
    secret = signing.new_secret()
    now = int(time.time())
    sent = signing.headers("msg_1", now, BODY, [secret])
    assert Webhook(secret).verify(BODY, sent) == {"type": "order.created", "data": {"id": "7d6f"}}
    assert set(sent) == {"webhook-id", "webhook-timestamp", "webhook-signature", "content-type", "user-agent"}
    assert sent["webhook-id"] == "msg_1"
    assert sent["webhook-timestamp"] == str(now)
    assert sent["content-type"] == "application/json"
    assert sent["user-agent"] == f"Luneo-Webhooks/{version('luneo')}"


def test_during_a_rotation_either_secret_verifies() -> None:
    old, new = signing.new_secret(), signing.new_secret()
    sent = signing.headers("msg_2", int(time.time()), BODY, [new, old])
    assert len(sent["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(BODY, sent)
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(signing.new_secret()).verify(BODY, sent)


def test_a_changed_body_or_id_fails_verification() -> None:
    secret = signing.new_secret()
    sent = signing.headers("msg_3", int(time.time()), BODY, [secret])
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY + b" ", sent)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, {**sent, "webhook-id": "msg_4"})


@pytest.mark.parametrize("nbytes", [24, 32, 64])
def test_new_secret_sizes(nbytes: int) -> None:
    secret = signing.new_secret(nbytes)
    assert secret.startswith("whsec_")
    assert len(signing.secret_key(secret)) == nbytes
    assert signing.new_secret(nbytes) != secret


@pytest.mark.parametrize("nbytes", [0, 23, 65])
def test_new_secret_refuses_weak_or_oversized_keys(nbytes: int) -> None:
    with pytest.raises(ValueError, match="24 to 64 bytes"):
        signing.new_secret(nbytes)


def test_secret_key_decodes_the_vector() -> None:
    assert signing.secret_key(VECTOR_SECRET) == base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "must start with whsec_"),
        ("whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "must start with whsec_"),
        ("whsec_MfKQ9r8GKYqr*wjUPD8ILPZIo2LaLaSw", "standard base64"),
        ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", "standard base64"),
        ("whsec_", "holds no key"),
    ],
)
def test_malformed_secrets_are_refused_without_quoting_them(secret: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        signing.secret_key(secret)
    assert "MfKQ9r8GKYqr" not in str(caught.value)
    with pytest.raises(ValueError, match=message):
        signing.sign("msg_5", 1, BODY, [secret])


@pytest.mark.parametrize(
    ("msg_id", "timestamp", "secrets", "message"),
    [
        ("msg.6", 1, [VECTOR_SECRET], "hold no '.'"),
        ("", 1, [VECTOR_SECRET], "non-empty"),
        ("msg_6", -1, [VECTOR_SECRET], "non-negative"),
        ("msg_6", 1.5, [VECTOR_SECRET], "whole number"),
        ("msg_6", 1, [], "at least one secret"),
    ],
)
def test_sign_refuses_ambiguous_input(msg_id: str, timestamp: int, secrets: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        signing.sign(msg_id, timestamp, BODY, secrets)

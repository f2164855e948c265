"""Deliverability webhooks: SendGrid's ECDSA signatures (its own test vector, and a real key
pair made here), Brevo's shared-secret header, and both providers' payloads as documented."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from luneo.workers.emails.events import (
    DeliverabilityEvent,
    SignatureError,
    load_sendgrid_key,
    parse_brevo,
    parse_sendgrid,
    verify_brevo,
    verify_sendgrid,
)

# --- SendGrid: signatures ---------------------------------------------------------------------

# SendGrid's own test vector (sendgrid-python test/unit/test_eventwebhook.py, the same in its
# Node, Java and Ruby libraries): a body signed by SendGrid, trailing CRLF included.
VECTOR_KEY = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVp"
    "iglSI8eNEc6wEA3F+g=="
)
VECTOR_SIGNATURE = (
    "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM="
)
VECTOR_TIMESTAMP = "1600112502"
VECTOR_BODY = (
    json.dumps(
        [
            {
                "email": "hello@world.com",
                "event": "dropped",
                "reason": "Bounced Address",
                "sg_event_id": "ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA",
                "sg_message_id": "LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0",
                "smtp-id": "<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>",
                "timestamp": 1600112492,
            }
        ],
        sort_keys=True,
        separators=(",", ":"),
    )
    + "\r\n"
).encode()


class KeyPair:
    """A P-256 key pair: the private half signs as SendGrid does, the public half is what the
    SendGrid dashboard would show (base64 DER SubjectPublicKeyInfo)."""

    def __init__(self) -> None:
        self.private = ec.generate_private_key(ec.SECP256R1())
        der = self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.public_b64 = base64.b64encode(der).decode()

    def sign(self, timestamp: str, body: bytes) -> str:
        signature = self.private.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return base64.b64encode(signature).decode()


NOW = 1_750_000_000.0
BODY = b'[{"email":"ada@example.org","event":"bounce","type":"bounce","timestamp":1750000000}]\r\n'


def test_sendgrid_own_test_vector_verifies() -> None:
    verify_sendgrid(VECTOR_KEY, VECTOR_SIGNATURE, VECTOR_TIMESTAMP, VECTOR_BODY, now=1600112502)
    [event] = parse_sendgrid(VECTOR_BODY)
    assert (event.kind, event.email) == ("hard_bounce", "hello@world.com")


def test_sendgrid_own_test_vector_fails_without_its_trailing_crlf() -> None:
    with pytest.raises(SignatureError, match="does not match"):
        verify_sendgrid(VECTOR_KEY, VECTOR_SIGNATURE, VECTOR_TIMESTAMP, VECTOR_BODY.rstrip(), now=1600112502)


def test_a_signature_made_with_the_private_key_verifies() -> None:
    keys = KeyPair()
    timestamp = str(int(NOW))
    verify_sendgrid(keys.public_b64, keys.sign(timestamp, BODY), timestamp, BODY, now=NOW)


def test_a_tampered_body_is_refused() -> None:
    keys = KeyPair()
    timestamp = str(int(NOW))
    signature = keys.sign(timestamp, BODY)
    tampered = BODY.replace(b"ada@example.org", b"eve@example.org")
    with pytest.raises(SignatureError, match="does not match"):
        verify_sendgrid(keys.public_b64, signature, timestamp, tampered, now=NOW)


def test_a_changed_timestamp_is_refused() -> None:
    """The timestamp is signed too: moving it forward to look fresh breaks the signature."""
    keys = KeyPair()
    signature = keys.sign(str(int(NOW) - 3600), BODY)
    with pytest.raises(SignatureError, match="does not match"):
        verify_sendgrid(keys.public_b64, signature, str(int(NOW)), BODY, now=NOW)


def test_a_signature_by_another_key_is_refused() -> None:
    ours, theirs = KeyPair(), KeyPair()
    timestamp = str(int(NOW))
    with pytest.raises(SignatureError, match="does not match"):
        verify_sendgrid(ours.public_b64, theirs.sign(timestamp, BODY), timestamp, BODY, now=NOW)


@pytest.mark.parametrize("age", [301.0, -301.0, 86400.0])
def test_a_stale_or_future_timestamp_is_refused_even_well_signed(age: float) -> None:
    keys = KeyPair()
    timestamp = str(int(NOW - age))
    with pytest.raises(SignatureError, match="away from now"):
        verify_sendgrid(keys.public_b64, keys.sign(timestamp, BODY), timestamp, BODY, now=NOW)


def test_the_tolerance_is_a_parameter() -> None:
    keys = KeyPair()
    timestamp = str(int(NOW - 299))
    signature = keys.sign(timestamp, BODY)
    verify_sendgrid(keys.public_b64, signature, timestamp, BODY, now=NOW)  # within the default 300 s
    with pytest.raises(SignatureError, match="away from now"):
        verify_sendgrid(keys.public_b64, signature, timestamp, BODY, now=NOW, tolerance=60)


@pytest.mark.parametrize(
    ("signature", "timestamp", "message"),
    [
        ("not base64!", str(int(NOW)), "not base64"),
        ("", str(int(NOW)), "does not match"),
        (base64.b64encode(b"garbage").decode(), str(int(NOW)), "does not match"),
        ("MEUCIQ==", "soon", "not a Unix time"),
        ("MEUCIQ==", "-1", "not a Unix time"),
        (None, str(int(NOW)), "header is missing"),
        ("MEUCIQ==", None, "header is missing"),
    ],
)
def test_malformed_headers_are_signature_errors(
    signature: str | None, timestamp: str | None, message: str
) -> None:
    with pytest.raises(SignatureError, match=message):
        verify_sendgrid(KeyPair().public_b64, signature, timestamp, BODY, now=NOW)


def test_an_unusable_configured_key_is_a_configuration_error_not_a_bad_request() -> None:
    rsa_der = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    p384_der = (
        ec.generate_private_key(ec.SECP384R1())
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    for bad in ("not a key", base64.b64encode(b"short").decode()):
        with pytest.raises(ValueError, match="not a base64 DER public key"):
            load_sendgrid_key(bad)
    for der in (rsa_der, p384_der):
        with pytest.raises(ValueError, match="not an ECDSA P-256 public key"):
            load_sendgrid_key(base64.b64encode(der).decode())


def test_the_key_may_be_pasted_as_pem() -> None:
    keys = KeyPair()
    pem = keys.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    timestamp = str(int(NOW))
    verify_sendgrid(pem.decode(), keys.sign(timestamp, BODY), timestamp, BODY, now=NOW)


# --- SendGrid: payloads -----------------------------------------------------------------------

# Shaped as the Event Webhook reference's examples (twilio.com/docs/sendgrid/for-developers/
# tracking-events/event), with our custom args merged in as SendGrid does.
SENDGRID_EVENTS = [
    {
        "email": "gone@example.org",
        "timestamp": 1513299569,
        "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
        "event": "bounce",
        "category": ["welcome"],
        "sg_event_id": "6g4ZI7SA-xmRDv57GoPIPw==",
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        "reason": "500 unknown recipient",
        "status": "5.0.0",
        "type": "bounce",
        "bounce_classification": "Invalid Address",
        "luneo_message_id": "<1a2b@example.com>",
        "luneo_idempotency_key": "welcome/42",
    },
    {
        "email": "busy@example.org",
        "timestamp": 1513299569,
        "event": "bounce",
        "sg_event_id": "Qm91bmNlQmxvY2tlZA",
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.1",
        "reason": "421 4.7.0 [TSS04] Messages temporarily deferred due to user complaints",
        "status": "4.7.0",
        "type": "blocked",
        "bounce_classification": "Reputation",
    },
    {
        "email": "before@example.org",
        "timestamp": 1513299569,
        "event": "dropped",
        "sg_event_id": "ZHJvcHBlZA",
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.2",
        "reason": "Bounced Address",
        "status": "5.0.0",
    },
    {
        "email": "annoyed@example.org",
        "timestamp": 1513299570,
        "event": "spamreport",
        "sg_event_id": "c3BhbQ",
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.3",
        "luneo_message_id": "<3c4d@example.com>",
    },
    {
        "email": "leaving@example.org",
        "timestamp": 1513299571,
        "event": "unsubscribe",
        "sg_event_id": "dW5zdWI",
    },
    {
        "email": "group@example.org",
        "timestamp": 1513299572,
        "event": "group_unsubscribe",
        "asm_group_id": 10,
        "sg_event_id": "Z3JvdXA",
    },
    {"email": "happy@example.org", "timestamp": 1513299573, "event": "delivered", "response": "250 OK"},
    {"email": "x@example.org", "timestamp": 1513299574, "event": "dropped", "reason": "Invalid"},
    {"timestamp": 1513299575, "event": "account_status_change", "type": "compliance_suspend"},
]


def test_sendgrid_events_are_read_in_order_with_their_kind() -> None:
    events = parse_sendgrid(json.dumps(SENDGRID_EVENTS).encode())
    assert [(e.kind, e.email) for e in events] == [
        ("hard_bounce", "gone@example.org"),
        ("other", "busy@example.org"),  # blocked: temporary or policy, not a hard bounce
        ("hard_bounce", "before@example.org"),  # dropped: the address bounced before
        ("complaint", "annoyed@example.org"),
        ("unsubscribe", "leaving@example.org"),
        ("unsubscribe", "group@example.org"),
        ("other", "happy@example.org"),
        ("other", "x@example.org"),
        ("other", ""),
    ]
    assert events[0] == DeliverabilityEvent(
        provider="sendgrid",
        kind="hard_bounce",
        email="gone@example.org",
        event_id="6g4ZI7SA-xmRDv57GoPIPw==",
        occurred_at=datetime(2017, 12, 15, 0, 59, 29, tzinfo=UTC),
        message_id="<1a2b@example.com>",
        detail="bounce: 500 unknown recipient: 5.0.0",
        provider_message_id="14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
    )
    assert events[1].detail.startswith("bounce: blocked: 421 4.7.0")
    assert events[2].message_id is None  # an email sent without our custom args


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b'{"event": "bounce"}', "JSON array"),
        (b'["bounce"]', "JSON object with an 'event' name"),
        (b'[{"email": "a@b.c"}]', "JSON object with an 'event' name"),
        (b'[{"event": "spamreport"}]', "'spamreport' event without an 'email'"),
    ],
)
def test_malformed_sendgrid_bodies_are_value_errors(body: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_sendgrid(body)


# --- Brevo: the shared secret -----------------------------------------------------------------

TOKEN = "brevo-hook-9f3a"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    "header", [f"Bearer {TOKEN}", f"bearer {TOKEN}", basic("brevo", TOKEN), basic("", TOKEN)]
)
def test_brevo_calls_carrying_the_token_pass(header: str) -> None:
    verify_brevo(TOKEN, header)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer wrong",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        TOKEN,
        f"Token {TOKEN}",
        basic(TOKEN, "wrong"),  # the token as the user name is not the password
        "Basic !!!",
    ],
)
def test_brevo_calls_without_the_token_are_refused(header: str | None) -> None:
    with pytest.raises(SignatureError):
        verify_brevo(TOKEN, header)


def test_an_empty_configured_brevo_token_checks_nothing_so_it_is_refused() -> None:
    with pytest.raises(ValueError, match="no Brevo webhook token"):
        verify_brevo("", "Bearer ")


# --- Brevo: payloads --------------------------------------------------------------------------

# Shaped as the examples of developers.brevo.com/docs/transactional-webhooks.
BREVO_HARD_BOUNCE = {
    "event": "hard_bounce",
    "email": "gone@example.org",
    "id": 26224,
    "date": "2020-10-09 00:00:00",
    "ts": 1604933619,
    "message-id": "201798300811.5787683@relay.domain.com",
    "ts_event": 1604933654,
    "subject": "Welcome to Luneo",
    "X-Mailin-custom": "<1a2b@example.com>",
    "sending_ip": "185.41.28.109",
    "template_id": 22,
    "tags": ["welcome"],
    "reason": "550 5.1.1 The email account that you tried to reach does not exist",
    "ts_epoch": 1604933654000,
}


def brevo(event: str, **fields: object) -> dict[str, object]:
    return {**BREVO_HARD_BOUNCE, "event": event, **fields}


def test_a_brevo_hard_bounce() -> None:
    [event] = parse_brevo(json.dumps(BREVO_HARD_BOUNCE).encode())
    assert event == DeliverabilityEvent(
        provider="brevo",
        kind="hard_bounce",
        email="gone@example.org",
        event_id="201798300811.5787683@relay.domain.com/hard_bounce/1604933654000",
        occurred_at=datetime(2020, 11, 9, 14, 54, 14, tzinfo=UTC),
        message_id="<1a2b@example.com>",
        detail="hard_bounce: 550 5.1.1 The email account that you tried to reach does not exist",
        provider_message_id="201798300811.5787683@relay.domain.com",
    )


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("hard_bounce", "hard_bounce"),
        ("spam", "complaint"),
        ("unsubscribed", "unsubscribe"),
        ("unsubscribe", "unsubscribe"),
        ("soft_bounce", "other"),
        ("blocked", "other"),
        ("delivered", "other"),
        ("request", "other"),
        ("opened", "other"),
        ("invalid_email", "other"),
    ],
)
def test_brevo_event_names(name: str, kind: str) -> None:
    [event] = parse_brevo(json.dumps(brevo(name)).encode())
    assert event.kind == kind


def test_a_batched_brevo_webhook_is_an_array() -> None:
    body = json.dumps([brevo("spam", email="annoyed@example.org"), brevo("delivered")]).encode()
    assert [(e.kind, e.email) for e in parse_brevo(body)] == [
        ("complaint", "annoyed@example.org"),
        ("other", "gone@example.org"),
    ]


def test_brevo_times_in_seconds_or_milliseconds() -> None:
    """The documented examples give `ts_epoch` in seconds although it is described in ms."""
    seconds = brevo("spam", ts_epoch=1604933654)
    no_epoch = {k: v for k, v in BREVO_HARD_BOUNCE.items() if k != "ts_epoch"}
    expected = datetime(2020, 11, 9, 14, 54, 14, tzinfo=UTC)
    assert parse_brevo(json.dumps(seconds).encode())[0].occurred_at == expected
    assert parse_brevo(json.dumps(no_epoch).encode())[0].occurred_at == expected  # from ts_event


def test_a_brevo_event_without_our_header_has_no_message_id() -> None:
    event = {k: v for k, v in BREVO_HARD_BOUNCE.items() if k != "X-Mailin-custom"}
    [parsed] = parse_brevo(json.dumps(event).encode())
    assert parsed.message_id is None
    assert parsed.provider_message_id == "201798300811.5787683@relay.domain.com"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "not JSON"),
        (b"<xml/>", "not JSON"),
        (b'"hard_bounce"', "JSON object with an 'event' name"),
        (b'{"email": "a@b.c"}', "JSON object with an 'event' name"),
        (b'{"event": 5, "email": "a@b.c"}', "JSON object with an 'event' name"),
        (b'{"event": "hard_bounce"}', "'hard_bounce' event without an 'email'"),
        (b'[{"event": "spam", "email": ""}]', "'spam' event without an 'email'"),
    ],
)
def test_malformed_brevo_bodies_are_value_errors(body: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_brevo(body)

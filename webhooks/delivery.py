"""Sending events: signed by the Standard Webhooks specification (its library), to addresses that
were checked (no private, loopback or link-local targets unless WEBHOOK_ALLOW_PRIVATE_TARGETS),
connecting to the address that was checked, following no redirect, reading at most
WEBHOOK_RESPONSE_BYTES of the answer and giving up after WEBHOOK_TIMEOUT_SECONDS in all. A
failure is retried on RETRY_SCHEDULE (about a day, with jitter); an endpoint failing for longer
than WEBHOOK_DISABLE_AFTER_HOURS is switched off.

Deliveries are at least once: a delivery is leased to one worker while it is sent, and one whose
worker died is sent again once its lease runs out (`manage.py deliver_webhooks`). Receivers
deduplicate by `webhook-id`, which a retry, a redelivery and a replay keep."""

import asyncio
import ipaddress
import logging
import random
import socket
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from .models import Attempt, Delivery, Endpoint

logger = logging.getLogger(__name__)

# After the first attempt: Standard Webhooks' suggested schedule, about a day and a quarter.
RETRY_SCHEDULE = [
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
]
JITTER = 0.1  # each wait is up to 10% shorter or longer, so that retries do not come in waves
LEASE = timedelta(minutes=2)  # longer than one send can take (WEBHOOK_TIMEOUT_SECONDS)


class RefusedTarget(Exception):
    """The endpoint's address is not one we send to."""


@dataclass
class Outcome:
    status_code: int | None
    duration_ms: int
    response: str = ""
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


# --- Where to connect ----------------------------------------------------------------------------
NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def check_url(url: str) -> None:
    """An endpoint URL we may send to: https (http only where private targets are allowed), a
    host name or a public address, a valid port, no credentials. Checked again at every send,
    with the addresses the name resolves to then."""
    try:
        parts = urlsplit(url)
        port = parts.port
        host = _ascii_host(parts.hostname or "")
    except (ValueError, UnicodeError):
        raise RefusedTarget("The URL's host or port is not valid.") from None
    schemes = ("https", "http") if settings.WEBHOOK_ALLOW_PRIVATE_TARGETS else ("https",)
    if parts.scheme not in schemes or not host:
        raise RefusedTarget(f"Use an {' or '.join(schemes)} URL with a host name.")
    if parts.username or parts.password:
        raise RefusedTarget("Put no credentials in the URL: verify the signature instead.")
    if port == 0:
        raise RefusedTarget("The URL's port is not valid.")
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return  # a name: its addresses are checked when it is resolved
    if not _allowed(literal):
        raise RefusedTarget(f"{literal} is not a public address.")


def _ascii_host(host: str) -> str:
    """The host as it goes on the wire: an internationalised name in punycode."""
    return host.encode("idna").decode() if host and not host.isascii() else host


async def resolve(url: str) -> tuple[str, int]:
    """The address to connect to for `url`, checked: every address the name resolves to must be
    public (else none is used), and the first is the one connected to. Within the send's deadline."""
    check_url(url)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = _ascii_host(parts.hostname)
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise RefusedTarget(f"The host name does not resolve: {error}") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in found]
    if not addresses:
        raise RefusedTarget("The host name does not resolve.")
    for address in addresses:
        if not _allowed(address):
            raise RefusedTarget(f"{parts.hostname} resolves to {address}, which is not a public address.")
    return str(addresses[0]), port


def _allowed(address) -> bool:
    """Whether we may connect to `address`: a public one, IPv4 addresses carried inside IPv6
    (mapped, compatible, 6to4, Teredo, NAT64) judged as themselves."""
    if isinstance(address, ipaddress.IPv6Address):
        carried = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if carried is None and (address in NAT64 or (address in IPV4_COMPATIBLE and int(address) > 1)):
            carried = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if carried is not None:
            return _allowed(carried)
    if settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        return not address.is_unspecified and not address.is_multicast
    return address.is_global and not address.is_multicast


# --- Sending -------------------------------------------------------------------------------------
def signed_headers(endpoint: Endpoint, event_id: str, at, body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers: one signature per secret in use (two while rotating)."""
    signatures = " ".join(Webhook(secret).sign(event_id, at, body) for secret in endpoint.signing_secrets())
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
        "content-type": "application/json",
        "user-agent": "newsroom-webhooks/1",
    }


def send(endpoint: Endpoint, event_id: str, body: bytes) -> Outcome:
    """POST `body` to the endpoint once, signed now; never raises. Resolving the name, connecting,
    sending and reading the answer share one deadline (WEBHOOK_TIMEOUT_SECONDS)."""
    began = time.monotonic()

    def outcome(**fields) -> Outcome:
        return Outcome(duration_ms=int((time.monotonic() - began) * 1000), **fields)

    headers = signed_headers(endpoint, event_id, timezone.now(), body)
    deadline = settings.WEBHOOK_TIMEOUT_SECONDS
    try:
        status_code, text = asyncio.run(
            asyncio.wait_for(_post(endpoint.url, headers, body), timeout=deadline)
        )
    except RefusedTarget as error:
        return outcome(status_code=None, error=_storable(str(error))[:300])
    except TimeoutError:
        return outcome(status_code=None, error=f"No answer within {deadline} seconds.")
    except Exception as error:  # whatever a hostile receiver or a bad URL causes: a failed attempt
        return outcome(status_code=None, error=_storable(f"{type(error).__name__}: {error}")[:300])
    return outcome(status_code=status_code, response=_storable(text))


def _storable(text: str) -> str:
    """Text a receiver sent, as it can be stored and shown: no NUL or other control characters."""
    return "".join(char if char.isprintable() or char in "\n\t" else "\ufffd" for char in text)


async def _post(url: str, headers: dict, body: bytes) -> tuple[int, str]:
    """To the checked address, with the URL's host name for Host and TLS (SNI and the certificate)."""
    address, port = await resolve(url)
    parts = urlsplit(url)
    name = _ascii_host(parts.hostname)
    host = f"[{address}]" if ":" in address else address
    direct = urlunsplit((parts.scheme, f"{host}:{port}", parts.path or "/", parts.query, ""))
    shown = f"[{name}]" if ":" in name else name
    authority = shown if parts.port is None else f"{shown}:{parts.port}"
    timeout = httpx.Timeout(settings.WEBHOOK_TIMEOUT_SECONDS, connect=3.0)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        request = client.build_request(
            "POST",
            direct,
            content=body,
            headers={**headers, "host": authority},
            extensions={"sni_hostname": name},
        )
        response = await client.send(request, stream=True)
        try:
            kept = b""
            async for chunk in response.aiter_raw():
                kept += chunk
                if len(kept) >= settings.WEBHOOK_RESPONSE_BYTES:
                    break
        finally:
            await response.aclose()
    return response.status_code, kept[: settings.WEBHOOK_RESPONSE_BYTES].decode("utf-8", "replace")


# --- Deliveries ----------------------------------------------------------------------------------
def attempt(delivery_id: int) -> Delivery | None:
    """Send one due delivery, if no other worker holds it; record the attempt and what comes next.
    Returns the delivery, or None when there was nothing to do."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event", "endpoint")
            .filter(pk=delivery_id, status=Delivery.Status.PENDING)
            .first()
        )
        if delivery is None or (delivery.next_attempt_at and delivery.next_attempt_at > now):
            return None
        if delivery.leased_until and delivery.leased_until > now:
            return None  # another worker is sending it
        if not delivery.endpoint.is_active:
            return None
        if _stale(delivery.event):
            delivery.status, delivery.next_attempt_at = Delivery.Status.SKIPPED, None
            delivery.save(update_fields=["status", "next_attempt_at"])
            return delivery
        delivery.leased_until = now + LEASE
        delivery.save(update_fields=["leased_until"])
    result = send(delivery.endpoint, delivery.event.id, bytes(delivery.event.payload))
    finish(delivery, result)
    return delivery


def _stale(event) -> bool:
    """An article's or video's `published` or `updated` whose item is no longer public: sent late
    (a retry, a redelivery, a replay), it would hand out what readers can no longer see."""
    kind, _, what = event.type.partition(".")
    if kind not in ("article", "video") or what not in ("published", "updated"):
        return False
    from django.apps import apps

    item_id = orjson.loads(bytes(event.payload))["data"]["id"]
    return not apps.get_model("articles", kind).objects.published().filter(pk=item_id).exists()


def finish(delivery: Delivery, result: Outcome) -> None:
    now = timezone.now()
    with transaction.atomic():
        Attempt.objects.create(
            delivery=delivery,
            at=now,
            status_code=result.status_code,
            duration_ms=result.duration_ms,
            response=result.response,
            error=result.error,
        )
        delivery.attempts += 1
        delivery.leased_until = None
        endpoint = Endpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        if result.succeeded:
            delivery.status, delivery.next_attempt_at = Delivery.Status.SUCCEEDED, None
            if endpoint.failing_since is not None:
                endpoint.failing_since = None
                endpoint.save(update_fields=["failing_since"])
        else:
            if delivery.attempts > len(RETRY_SCHEDULE):
                delivery.status, delivery.next_attempt_at = Delivery.Status.FAILED, None
            else:
                wait = RETRY_SCHEDULE[delivery.attempts - 1]
                delivery.next_attempt_at = now + wait * random.uniform(1 - JITTER, 1 + JITTER)
                # The endpoint's other deliveries wait as long: a receiver that hangs costs the
                # worker one deadline per retry, not one per event.
                waiting = Delivery.objects.filter(endpoint_id=endpoint.pk, status=Delivery.Status.PENDING)
                waiting.exclude(pk=delivery.pk).filter(next_attempt_at__lt=delivery.next_attempt_at).update(
                    next_attempt_at=delivery.next_attempt_at
                )
            _note_failure(endpoint, now)
        delivery.save(update_fields=["attempts", "leased_until", "status", "next_attempt_at"])
        if delivery.status == Delivery.Status.PENDING:
            transaction.on_commit(lambda: _retry_at(delivery))


def _note_failure(endpoint: Endpoint, now) -> None:
    endpoint.failing_since = endpoint.failing_since or now
    fields = ["failing_since"]
    limit = timedelta(hours=settings.WEBHOOK_DISABLE_AFTER_HOURS)
    if endpoint.is_active and now - endpoint.failing_since >= limit:
        endpoint.is_active = False
        endpoint.disabled_reason = (
            f"Switched off on {now:%Y-%m-%d %H:%M} UTC: every delivery failed for "
            f"{settings.WEBHOOK_DISABLE_AFTER_HOURS} hours. Fix the receiver, then make it active again."
        )
        fields += ["is_active", "disabled_reason"]
        logger.warning(
            "Webhook endpoint %s switched off: failing since %s", endpoint.pk, endpoint.failing_since
        )
    endpoint.save(update_fields=fields)


def _retry_at(delivery: Delivery) -> None:
    from .tasks import deliver_at

    deliver_at(delivery.pk, delivery.next_attempt_at)


def due(now=None) -> list[int]:
    """Pending deliveries whose time has come and that no worker holds (a lease run out included)."""
    now = now or timezone.now()
    return list(
        Delivery.objects.filter(
            status=Delivery.Status.PENDING, next_attempt_at__lte=now, endpoint__is_active=True
        )
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lte=now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:500]
    )

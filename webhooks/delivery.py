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
def check_url(url: str) -> None:
    """An endpoint URL we may send to: https (http only where private targets are allowed)."""
    parts = urlsplit(url)
    schemes = ("https", "http") if settings.WEBHOOK_ALLOW_PRIVATE_TARGETS else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise RefusedTarget(f"Use an {' or '.join(schemes)} URL with a host name.")
    if parts.username or parts.password:
        raise RefusedTarget("Put no credentials in the URL: verify the signature instead.")


def resolve(url: str) -> tuple[str, int]:
    """The address to connect to for `url`, checked: every address the name resolves to must be
    public (else none is used), and the first is the one connected to."""
    parts = urlsplit(url)
    check_url(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
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
    if getattr(address, "ipv4_mapped", None):
        address = address.ipv4_mapped
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
    """POST `body` to the endpoint once, signed now; never raises."""
    began = time.monotonic()

    def outcome(**fields) -> Outcome:
        return Outcome(duration_ms=int((time.monotonic() - began) * 1000), **fields)

    try:
        address, port = resolve(endpoint.url)
    except RefusedTarget as error:
        return outcome(status_code=None, error=str(error)[:300])
    headers = signed_headers(endpoint, event_id, timezone.now(), body)
    try:
        status_code, text = asyncio.run(
            asyncio.wait_for(
                _post(endpoint.url, address, port, headers, body), settings.WEBHOOK_TIMEOUT_SECONDS
            )
        )
    except TimeoutError:
        return outcome(
            status_code=None, error=f"No answer within {settings.WEBHOOK_TIMEOUT_SECONDS} seconds."
        )
    except (httpx.HTTPError, OSError, ValueError) as error:
        return outcome(status_code=None, error=f"{type(error).__name__}: {error}"[:300])
    return outcome(status_code=status_code, response=text)


async def _post(url: str, address: str, port: int, headers: dict, body: bytes) -> tuple[int, str]:
    """To the checked address, with the URL's host name for Host and TLS (SNI and the certificate)."""
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    direct = urlunsplit((parts.scheme, f"{host}:{port}", parts.path or "/", parts.query, ""))
    authority = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    timeout = httpx.Timeout(settings.WEBHOOK_TIMEOUT_SECONDS, connect=3.0)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        request = client.build_request(
            "POST",
            direct,
            content=body,
            headers={**headers, "host": authority},
            extensions={"sni_hostname": parts.hostname},
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
        delivery.leased_until = now + LEASE
        delivery.save(update_fields=["leased_until"])
    result = send(delivery.endpoint, delivery.event.id, bytes(delivery.event.payload))
    finish(delivery, result)
    return delivery


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

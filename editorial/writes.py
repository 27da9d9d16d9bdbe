"""The write API's rules, one place for every resource it writes: who may (scopes and the owner's
role), preconditions (`If-Match` with the current ETag), `Idempotency-Key` on creates, and the
revision each write leaves (recording the key).

An item's ETag is a digest of what the write API answers for it: any stored change changes it.
PUT, PATCH and DELETE need `If-Match` (428 without, 412 when it is not current); the check and the
write happen under a row lock, so two writers holding the same ETag cannot both succeed."""

import hashlib
from datetime import timedelta

import orjson
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import exceptions, status
from rest_framework.response import Response

from partners.permissions import is_key

from .models import IdempotentRequest

IDEMPOTENCY_KEY_MAX = 255


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = "Send If-Match with the item's current ETag (from the last answer about it)."
    default_code = "precondition_required"


class PreconditionFailed(exceptions.APIException):
    status_code = 412
    default_detail = "The item changed since that ETag: fetch it again, then retry your change."
    default_code = "precondition_failed"


class IdempotencyConflict(exceptions.APIException):
    status_code = 409
    default_detail = "A request with this Idempotency-Key is being answered: retry in a moment."
    default_code = "idempotency_conflict"


class IdempotencyKeyReused(exceptions.APIException):
    status_code = 422
    default_detail = "This Idempotency-Key was used for another request; use a new key for a new request."
    default_code = "idempotency_key_reused"


def etag_of(data: dict) -> str:
    """The version of what the write API answers for an item: what is stored. `state` is left out:
    it moves with the clock (a scheduled item going live) while nothing was written."""
    stored = {name: value for name, value in data.items() if name != "state"}
    return '"' + hashlib.sha256(orjson.dumps(stored, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32] + '"'


def check_if_match(request, current: str, *, required: bool = True) -> None:
    sent = request.headers.get("If-Match")
    if sent is None:
        if required:
            raise PreconditionRequired()
        return
    tags = [tag.strip() for tag in sent.split(",")]
    if "*" not in tags and current not in tags:
        raise PreconditionFailed()


def require(request, *perms: str, scope: str | None = None) -> None:
    """The caller's account holds `perms` (as in the admin) and, with a key, the key holds `scope`."""
    user = request.user
    if user is None or not user.is_authenticated:
        raise exceptions.NotAuthenticated()
    if not (user.is_active and user.is_staff and user.has_perms(perms)):
        raise exceptions.PermissionDenied("Your account's role does not allow this.")
    if scope is not None and is_key(request.auth) and not request.auth.has_scope(scope):
        raise exceptions.PermissionDenied(f"This API key lacks the scope {scope}.")


def via(request, what: str) -> str:
    """A revision's comment: what was done, and through which key."""
    if is_key(request.auth):
        return f"{what} through the API (key {request.auth.name!r}, {request.auth.prefix})"[:200]
    return f"{what} through the API"


# --- Idempotency-Key ------------------------------------------------------------------------------
def idempotency_key(request) -> str | None:
    """The header's value: a Structured Field string ("...") or, leniently, a bare token."""
    value = request.headers.get("Idempotency-Key")
    if value is None:
        return None
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not value or len(value) > IDEMPOTENCY_KEY_MAX or not value.isascii() or not value.isprintable():
        raise InvalidHeader(
            f"Idempotency-Key: a key is 1 to {IDEMPOTENCY_KEY_MAX} printable ASCII characters."
        )
    return value


class InvalidHeader(exceptions.APIException):
    status_code = 400
    default_detail = "A request header is invalid."
    default_code = "invalid_header"


def _fingerprint(request) -> str:
    """What makes two requests the same: method, path and body. A multipart body (an upload) by
    its fields and files' contents, read in chunks: its raw bytes are never held in memory."""
    digest = hashlib.sha256(b"\n".join([request.method.encode(), request.path.encode()]))
    if not request.content_type.startswith("multipart/"):
        digest.update(request.body)
        return digest.hexdigest()
    for name, value in sorted(request.data.items()):
        digest.update(f"\n{name}=".encode())
        digest.update(str(value).encode())
    for name, upload in sorted(request.FILES.items()):
        digest.update(f"\n{name}:{upload.name}:".encode())
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
    return digest.hexdigest()


def idempotent(request, create) -> Response:
    """`create()` once per Idempotency-Key: a retry with the same key and the same request gets the
    first (successful) answer again; with another request, a 422. Failed creates are not kept."""
    key = idempotency_key(request)
    if key is None:
        return create()
    owner = request.user
    api_key = request.auth.prefix if is_key(request.auth) else ""
    fingerprint = _fingerprint(request)
    expired = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    IdempotentRequest.objects.filter(created_at__lt=expired).delete()  # everyone's: by the index
    mine = IdempotentRequest.objects.filter(owner=owner, api_key=api_key, key=key)
    with transaction.atomic():
        kept = mine.select_for_update().first()
        if kept is None:
            response = create()
            if status.is_success(response.status_code):
                try:
                    with transaction.atomic():
                        IdempotentRequest.objects.create(
                            owner=owner,
                            api_key=api_key,
                            key=key,
                            fingerprint=fingerprint,
                            status_code=response.status_code,
                            body=orjson.dumps(response.data),
                            headers={
                                name: response[name] for name in ("Location", "ETag") if name in response
                            },
                        )
                except IntegrityError:  # another request with this key came first: undo ours
                    raise IdempotencyConflict() from None
            return response
    if kept.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    headers = {**kept.headers, "Idempotent-Replayed": "true"}
    return Response(orjson.loads(bytes(kept.body)), status=kept.status_code, headers=headers)


# --- Uploads --------------------------------------------------------------------------------------
UPLOAD_OVERHEAD = 64 * 1024  # a multipart body's other fields and boundaries, beside the file


def check_upload_size(request) -> None:
    """A 413 before a multipart body is read when it is larger than the largest image allowed
    (IMAGE_MAX_UPLOAD_BYTES) and what comes with one."""
    if not request.content_type.startswith("multipart/"):
        return
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.IMAGE_MAX_UPLOAD_BYTES + UPLOAD_OVERHEAD:
        raise UploadTooLarge()


class UploadTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "too_large"

    def __init__(self):
        limit = settings.IMAGE_MAX_UPLOAD_BYTES
        super().__init__(f"The upload is larger than the {limit:,} bytes an image may have.")

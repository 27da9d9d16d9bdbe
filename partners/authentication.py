"""`Authorization: Api-Key <key>`: the request acts as the key's owner, with the key's scopes
(partners.permissions). A key that is unknown, revoked, expired, or whose owner may no longer
sign in to the admin is a 401, never a fallback to anonymous access."""

from datetime import timedelta

from django.utils import timezone
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed, Throttled

KEYWORD = "Api-Key"
LAST_USED_PRECISION = timedelta(minutes=1)  # "last used" is written at most once a minute per key


def key_of(request) -> str | None:
    """The key an `Authorization: Api-Key ...` header carries ("" if none follows the keyword);
    None without that header."""
    keyword, *rest = request.META.get("HTTP_AUTHORIZATION", "").split(None, 1) or [""]
    return (rest[0].strip() if rest else "") if keyword.lower() == KEYWORD.lower() else None


def _refuse(request, detail: str):
    """A 401; past the client address's anonymous quota, a 429: each refusal cost a lookup."""
    from .quotas import count_failed_credentials  # DRF imports this class before the models are ready

    standing = count_failed_credentials(request)
    if standing is not None and not standing.allowed:
        request._request.quota_standing = standing
        raise Throttled(wait=standing.reset)
    raise AuthenticationFailed(detail)


class APIKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        from .models import APIKey  # DRF imports this class before the models are ready

        key = key_of(request)
        if key is None:
            return None
        try:
            api_key = APIKey.objects.get_from_key(key)
        except APIKey.DoesNotExist:
            _refuse(request, "Unknown or revoked API key.")
        if api_key.has_expired:
            _refuse(request, "This API key has expired.")
        owner = api_key.owner
        if not (owner.is_active and owner.is_staff):
            _refuse(request, "The account that owns this API key can no longer use it.")
        now = timezone.now()
        if api_key.last_used_at is None or api_key.last_used_at <= now - LAST_USED_PRECISION:
            APIKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        return owner, api_key

    def authenticate_header(self, request):
        return f'{KEYWORD} realm="api"'

"""What a key may do: its scopes open kinds of routes (partners.scopes), and it acts with its
owner's role, so it can never do more than the owner could in the admin. Requests without a key
(anonymous readers, staff signed in to the admin) are not affected by scopes."""

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .scopes import Scope


def required_scope(method: str, view) -> str | None:
    """The scope a route asks of a key: the viewset's `key_scopes` by action, or the view's
    `key_scope` (by method, or one for all), else content:read for reads; None: keys cannot be
    used there. Writing routes name theirs."""
    by_action = getattr(view, "key_scopes", {}).get(getattr(view, "action", None))
    if by_action is not None:
        return by_action
    declared = getattr(view, "key_scope", None)
    if isinstance(declared, dict):
        declared = declared.get(method)
    if declared is not None:
        return declared
    return Scope.CONTENT_READ if method in SAFE_METHODS else None


def is_key(auth) -> bool:
    """Whether a request's `auth` is an API key (APIKeyAuthentication's), not a session's None."""
    from .models import APIKey  # DRF imports the permission classes before the models are ready

    return isinstance(auth, APIKey)


class KeyScopes(BasePermission):
    """For requests made with an API key: the key holds the scope the route needs."""

    def has_permission(self, request, view) -> bool:
        if not is_key(request.auth) or not hasattr(view, request.method.lower()):
            return True  # no key, or no such route: 405 as for anyone
        scope = required_scope(request.method, view)
        if scope is None:
            raise PermissionDenied("API keys cannot be used on this route.")
        if not request.auth.has_scope(scope):
            raise PermissionDenied(f"This API key lacks the scope {scope}.")
        return True

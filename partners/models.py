"""API keys for partners, wires and tools (djangorestframework-api-key stores them: the secret is
shown once, only its hash is kept, and its prefix recognises it)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager

from .scopes import Scope


def _valid_scopes(value) -> None:
    if not isinstance(value, list) or not set(value) <= set(Scope.values):
        raise ValidationError(f"Scopes are a list of: {', '.join(Scope.values)}.")


class APIKeyManager(BaseAPIKeyManager):
    def get_usable_keys(self):
        return super().get_usable_keys().select_related("owner")  # every request reads the owner


class APIKey(AbstractAPIKey):
    objects = APIKeyManager()

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_keys",
        limit_choices_to={"is_staff": True},
        help_text="The key acts with this account's role and can never do more than it could in "
        "the admin. A key of an account that is deactivated or no longer staff stops working.",
    )
    scopes = models.JSONField(default=list, blank=True, validators=[_valid_scopes])
    quota = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Requests per quota window (API_KEY_QUOTA sets the window); empty: the default.",
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"
        verbose_name_plural = "API keys"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

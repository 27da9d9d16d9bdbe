from django import forms
from django.contrib import admin
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey as UnusedAPIKey

from .models import APIKey
from .scopes import Scope

# The library's own concrete model is not used: ours has an owner and scopes.
admin.site.unregister(UnusedAPIKey)


class APIKeyForm(forms.ModelForm):
    scopes = forms.TypedMultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="What the key may be used for. It acts with its owner's role as well.",
    )

    class Meta:
        model = APIKey
        fields = ["name", "owner", "scopes", "quota", "expiry_date", "revoked"]


@admin.register(APIKey)
class PartnerAPIKeyAdmin(APIKeyModelAdmin):
    """Create a key and its secret is shown once, in a message; only its hash is kept. Revoking
    cannot be undone."""

    form = APIKeyForm
    list_display = (
        "prefix",
        "name",
        "owner",
        "scope_list",
        "created",
        "expiry_date",
        "revoked",
        "last_used_at",
    )
    list_filter = ("revoked", "created")
    search_fields = ("name", "prefix", "owner__username")
    list_select_related = ("owner",)

    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        # The owner is who a key acts as: a partner's secret must never start acting as someone else.
        owner = ("owner",) if obj is not None else ()
        return (*super().get_readonly_fields(request, obj), *owner, "last_used_at")

    # Only a superuser hands out keys that act as someone else: anyone else given the permission
    # manages their own, or they could lend themselves a more powerful account's role.
    def get_queryset(self, request):
        keys = super().get_queryset(request)
        return keys if request.user.is_superuser else keys.filter(owner=request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner" and not request.user.is_superuser:
            kwargs["queryset"] = db_field.related_model._default_manager.filter(pk=request.user.pk)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.action(description="Revoke the selected keys (cannot be undone)", permissions=["change"])
    def revoke(self, request, queryset):
        revoked = queryset.filter(revoked=False).update(revoked=True)
        self.message_user(request, f"{revoked} key(s) revoked.")

    @admin.display(description="scopes")
    def scope_list(self, obj) -> str:
        return ", ".join(obj.scopes) or "—"

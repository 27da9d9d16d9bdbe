"""`?fields=` and `?expand=`: a client asks for only some fields of each item, or for related
objects in full rather than as references. The viewset declares what may be expanded; the
serializers read the parsed choice from their context; the schema documents both parameters."""

from rest_framework.exceptions import ValidationError

MAX_NAMES = 50


def _names(request, parameter: str, allowed: list[str]) -> set[str] | None:
    raw = request.query_params.getlist(parameter)
    if not raw:
        return None
    names = {name.strip() for value in raw for name in value.split(",") if name.strip()}
    unknown = sorted(names - set(allowed))
    if unknown or not names or len(names) > MAX_NAMES:
        shown = ", ".join(repr(name[:40]) for name in unknown[:5]) or "nothing"
        raise ValidationError({parameter: [f"Unknown or empty: {shown}. Choose from: {', '.join(allowed)}."]})
    return names


class FieldSelectionMixin:
    """Viewset mixin. `expandable` names the relations `?expand=` may embed in full; the fields
    `?fields=` may choose from are those of the serializer the action uses."""

    expandable: list[str] = []

    def selectable_fields(self) -> list[str]:
        return list(self.get_serializer_class().Meta.fields)

    def get_expand(self) -> set[str]:
        if not hasattr(self, "_expand"):
            self._expand = (
                _names(self.request, "expand", self.expandable) or set() if self.expandable else set()
            )
        return self._expand

    def get_fields(self) -> set[str] | None:
        """The `?fields=` chosen; None for every field."""
        if not hasattr(self, "_fields"):
            self._fields = _names(self.request, "fields", self.selectable_fields())
        return self._fields

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self, "request", None) is not None and getattr(self, "swagger_fake_view", False) is False:
            context["fields"] = self.get_fields()
            context["expand"] = self.get_expand()
        return context


class SelectableFieldsMixin:
    """Serializer mixin for the top-level items of a response: keeps only the `?fields=` chosen.
    Serializers that build their JSON by hand override `represent()`."""

    def represent(self, instance) -> dict:
        return super().to_representation(instance)

    def to_representation(self, instance):
        data = self.represent(instance)
        fields = self.context.get("fields")
        if not fields:
            return data
        return {name: value for name, value in data.items() if name in fields}

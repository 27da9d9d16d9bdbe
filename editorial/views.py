from django.http import Http404, HttpResponsePermanentRedirect
from django.urls import reverse

from cms.schema import AutoSchema

from .services import redirect_target_id


class SlugRedirectSchema(AutoSchema):
    """Documents the permanent redirect a detail endpoint answers for an old slug."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self.method == "GET" and getattr(self.view, "action", None) == "retrieve":
            responses["301"] = {
                "description": "The slug is an old one: the item has been renamed. Follow `Location`.",
                "headers": {
                    "Location": {
                        "description": "The item's detail URL under its current slug, with the same "
                        "query string.",
                        "schema": {"type": "string", "format": "uri-reference"},
                    }
                },
            }
        return responses


class SlugRedirectMixin:
    """Detail views answer an item's old slug with a 301 to its current one, if the item is
    one the view would serve (so a redirect never reveals a draft). The lookup runs only when the
    slug is not found, so the normal path costs nothing extra."""

    schema = SlugRedirectSchema()

    def retrieve(self, request, *args, **kwargs):
        try:
            return super().retrieve(request, *args, **kwargs)
        except Http404:
            location = self.get_redirect_location(self.kwargs[self.lookup_url_kwarg or self.lookup_field])
            if location is None:
                raise
            return HttpResponsePermanentRedirect(location)

    def get_redirect_location(self, slug):
        queryset = self.get_queryset()
        target_id = redirect_target_id(model=queryset.model, slug=slug)
        if target_id is None:
            return None
        # The view's own queryset: only an item it would serve is worth redirecting to.
        target = queryset.prefetch_related(None).filter(pk=target_id)
        current = target.values_list(self.lookup_field, flat=True).first()
        if current is None or current == slug:
            return None
        url = reverse(f"{self.basename}-detail", kwargs={self.lookup_url_kwarg or self.lookup_field: current})
        query = self.request.META.get("QUERY_STRING", "")
        return f"{url}?{query}" if query else url

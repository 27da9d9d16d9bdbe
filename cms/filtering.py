from django_filters.rest_framework import DjangoFilterBackend


class FilterBackend(DjangoFilterBackend):
    """django-filter, skipped when a request names none of the view's filters and none is
    required: building and validating the filter form is a good part of the cost of an
    unfiltered list page."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            filters = filterset_class.base_filters
            required = any(f.extra.get("required") for f in filters.values())
            if not required and request.query_params.keys().isdisjoint(filters):
                return queryset
        return super().filter_queryset(request, queryset, view)

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ErrorDetail, ValidationError


def translate_validation(error_dict) -> ValidationError:
    """A filter form's errors as DRF's ValidationError (a 400 naming each parameter). Unlike
    django-filter's own, a message is %-formatted only with its params: a message that quotes the
    client's value (`?topic=%25`) stays as it is."""
    return ValidationError(
        {
            name: [
                ErrorDetail(error.message % error.params if error.params else error.message, code=error.code)
                for error in errors
            ]
            for name, errors in error_dict.as_data().items()
        }
    )


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
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        return filterset.qs

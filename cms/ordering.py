"""`?ordering=`: one value from a whitelist, decided in one place. Pagination (page numbers or
cursors) reads the decision back through `OrderingFilter.get_ordering()`, as DRF's own does."""

from rest_framework import filters
from rest_framework.exceptions import ValidationError

RELEVANCE = "relevance"
# The annotation a search adds (articles.search): `-relevance` orders by it, best match first.
RANK = "rank"


class OrderingFilter(filters.OrderingFilter):
    """DRF's OrderingFilter, strict: exactly one of the view's `ordering_fields`, ascending or
    descending; `relevance` (descending only) orders a searched list and is its default. Anything
    else is a 400 naming the parameter. The id breaks ties, in the same direction, so that pages
    are stable."""

    def choices(self, view) -> list[str]:
        choices = []
        for field in getattr(view, "ordering_fields", None) or []:
            choices += [f"-{field}"] if field == RELEVANCE else [f"-{field}", field]
        return choices

    def get_ordering(self, request, queryset, view):
        searched = RANK in queryset.query.annotations
        choices = self.choices(view)
        value = request.query_params.get(self.ordering_param, "").strip()
        if not value:
            value = f"-{RELEVANCE}" if searched and f"-{RELEVANCE}" in choices else view.ordering
        if value not in choices:
            raise ValidationError(
                {self.ordering_param: [f"Must be one of {', '.join(choices)}; not {value[:40]!r}."]}
            )
        if value == f"-{RELEVANCE}":
            if not searched:
                raise ValidationError({self.ordering_param: [f"-{RELEVANCE} needs a search: give `q`."]})
            return [f"-{RANK}", "-published_at", "-pk"]
        return [value, "-pk" if value.startswith("-") else "pk"]

    def get_schema_operation_parameters(self, view):
        relevance = f"-{RELEVANCE}"
        default = f"`{view.ordering}`"
        if relevance in self.choices(view):
            default += f", or `{relevance}` (best match first) when `q` is given"
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": f"Order of the results; default {default}. A leading `-` means "
                "newest (or best) first. Ties are broken by id, so pages are stable.",
                "schema": {"type": "string", "enum": self.choices(view)},
            }
        ]

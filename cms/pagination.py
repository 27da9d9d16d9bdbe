from django.core.paginator import InvalidPage
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError


def _positive_int(request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValidationError({name: [f"Must be a whole number of at least 1, not {raw[:40]!r}."]})
    return int(raw)


class PageNumberPagination(pagination.PageNumberPagination):
    """Numbered pages with a bounded size. Bad values are a 400, a page past the end a 404."""

    page_size = 20
    max_page_size = 100
    page_size_query_param = "page_size"
    page_query_description = "Page number, from 1."
    page_size_query_description = f"Items per page, from 1 to {max_page_size}; default {page_size}."

    def get_page_size(self, request):
        size = _positive_int(request, self.page_size_query_param, self.page_size)
        if size > self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [f"Must be at most {self.max_page_size}, not {size}."]}
            )
        return size

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        page_size = self.get_page_size(request)
        page_number = _positive_int(request, self.page_query_param, 1)
        paginator = self.django_paginator_class(queryset, page_size)
        try:
            self.page = paginator.page(page_number)
        except InvalidPage:
            raise NotFound(f"Page {page_number} does not exist; there are {paginator.num_pages}.") from None
        return list(self.page)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(maximum=self.max_page_size, default=self.page_size)
        return parameters

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "results"],
            "properties": {
                "count": {"type": "integer", "description": "Number of items on all pages.", "example": 123},
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "URL of the next page; null on the last page.",
                    "example": "http://127.0.0.1:8000/api/v1/articles/?page=4",
                },
                "previous": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "URL of the previous page; null on the first page.",
                    "example": "http://127.0.0.1:8000/api/v1/articles/?page=2",
                },
                "results": {**schema, "description": "The items on this page."},
            },
        }

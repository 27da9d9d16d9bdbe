"""Pagination for every list: numbered pages with a bounded size, and, for feeds, cursors."""

import functools
import hashlib

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import InvalidPage
from django.db.models import Q, QuerySet
from drf_spectacular.plumbing import append_meta
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from .caching import cached_value, list_keys


@functools.lru_cache(maxsize=4096)
def _signed_position(salt: str, secret: str, ordering: str, direction: str, value: str, pk: int) -> str:
    """A cursor's token. No timestamp in it: the same page always links the same way, so responses
    keep their ETag; and so it is made once per process for each position (the front page's next
    cursor is the same for every request until something is published)."""
    payload = {"o": ordering, "d": direction, "v": value, "pk": pk}
    return signing.Signer(key=secret, salt=salt).sign_object(payload)


def _link(description: str, example: str) -> dict:
    """A nullable URL in the response schema, spelled for the document's OpenAPI version."""
    return append_meta(
        {"type": "string", "format": "uri"},
        {"nullable": True, "description": description, "example": example},
    )


def positive_int(raw: str) -> int | None:
    """A whole number from 1 as links write it, else None. One spelling per number (no `01`, `+1`
    or `1.0`): each spelling would be a cache entry of its own, made again from the database."""
    if raw.isascii() and raw.isdigit() and raw[0] != "0" and len(raw) <= 9:
        return int(raw)
    return None


def _positive_int(request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if (number := positive_int(raw)) is None:
        raise ValidationError({name: [f"Must be a whole number of at least 1, not {raw[:40]!r}."]})
    return number


def bounded_page_size(request, *, default: int, maximum: int, name: str = "page_size") -> int:
    """`?page_size=`, from 1 to `maximum`: anything else is a 400 naming the parameter."""
    size = _positive_int(request, name, default)
    if size > maximum:
        raise ValidationError({name: [f"Must be at most {maximum}, not {size}."]})
    return size


# Numbered pages reach this far into a list: an offset costs the database every row before it.
# Lists with cursor mode go on with `cursor`, whatever their length; a search is narrowed instead.
MAX_PAGE_DEPTH = 10_000

# Query parameters that change which page or which fields, not which items: they share a count.
NOT_FILTERS = {"page", "page_size", "cursor", "fields", "expand", "ordering", "format"}


class PageNumberPagination(pagination.PageNumberPagination):
    """Numbered pages with a bounded size. Bad values are a 400, a page past the end a 404."""

    page_size = 20
    max_page_size = 100
    page_size_query_param = "page_size"
    page_query_description = (
        f"Page number, from 1. Numbered pages reach the first {MAX_PAGE_DEPTH:,} items; "
        "`cursor` goes further."
    )
    page_size_query_description = f"Items per page, from 1 to {max_page_size}; default {page_size}."

    def get_page_size(self, request):
        return bounded_page_size(
            request, default=self.page_size, maximum=self.max_page_size, name=self.page_size_query_param
        )

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        page_size = self.get_page_size(request)
        page_number = _positive_int(request, self.page_query_param, 1)
        if (page_number - 1) * page_size >= MAX_PAGE_DEPTH:
            raise ValidationError(
                {
                    self.page_query_param: [
                        f"Numbered pages reach the first {MAX_PAGE_DEPTH:,} items (page "
                        f"{MAX_PAGE_DEPTH // page_size} at this page size); read further with `cursor`, "
                        "or narrow the list with filters."
                    ]
                }
            )
        paginator = self.django_paginator_class(queryset, page_size)
        paginator.count = self._count(queryset, request, view)
        try:
            self.page = paginator.page(page_number)
        except InvalidPage:
            raise NotFound(f"Page {page_number} does not exist; there are {paginator.num_pages}.") from None
        return list(self.page)

    def _count(self, queryset, request, view) -> int:
        """Counting every matching row is most of the cost of a numbered page on a large table,
        and it changes only with the content: it is kept until an item of the list's kind (the
        view's `count_keys`, e.g. `articles`) changes or a scheduled item goes live or expires."""
        keys = getattr(view, "count_keys", None) or list_keys(queryset.model)
        if not keys:
            return queryset.count()
        params = sorted(
            (name, value)
            for name, values in request.query_params.lists()
            if name not in NOT_FILTERS
            for value in values
        )
        digest = hashlib.md5(repr((request.path, params)).encode(), usedforsecurity=False).hexdigest()
        return cached_value(f"api:count:{digest}", keys, queryset.count, at=getattr(queryset, "now", None))

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
                "next": _link(
                    "URL of the next page; null on the last page.",
                    "http://127.0.0.1:8000/api/v1/articles/?page=4",
                ),
                "previous": _link(
                    "URL of the previous page; null on the first page.",
                    "http://127.0.0.1:8000/api/v1/articles/?page=2",
                ),
                "results": {**schema, "description": "The items on this page."},
            },
        }


class FeedPagination(PageNumberPagination):
    """Numbered pages (`?page=`) as on every list, plus cursor mode for feeds (`?cursor=`).

    Cursor mode is keyset pagination on the list's active date ordering with the id as tiebreak:
    a page starts strictly after the item that ended the previous one, so items published (or
    removed) while a client pages through never shift the pages: no duplicates, no skips.
    Every response carries `next_cursor`, the cursor-mode link to the items after its last one,
    so a client can read the first page numbered (with `count`) and go on with cursors.

    A cursor is signed (django.core.signing): a tampered or malformed one, one made for another
    ordering, or one given with `page`, is a 400 naming `cursor`. Orderings that are not by a date
    (`-relevance`) have no stable position to resume from: their `next_cursor` is null and a cursor
    is refused; they page by number."""

    cursor_query_param = "cursor"
    # Orderings whose values a cursor can resume from: never null on a published item.
    cursor_fields = ("published_at", "updated_at")
    cursor_salt = "cms.pagination.cursor"
    cursor_query_description = (
        "Cursor mode, for feeds: pass the `next_cursor` (or, in cursor mode, `next` / `previous`) "
        "link of a response, or an empty value for the first page. Pages stay stable while items "
        "are published: no duplicates, no skips. Not with `page`, and only for the date orderings "
        "(not `-relevance`). A tampered or malformed cursor is a 400."
    )

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.keyset = self._keyset(queryset)
        if self.keyset is not None and isinstance(queryset, QuerySet):
            queryset = queryset.order_by(*self._order_by())  # the id breaks ties, in both modes
        self.cursor_mode = self.cursor_query_param in request.query_params
        if not self.cursor_mode:
            items = super().paginate_queryset(queryset, request, view)
            more = self.page.has_next() and self.keyset is not None
            self.next_cursor = self._cursor_link("next", items[-1]) if more else None
            return items
        return self._paginate_by_cursor(queryset, request)

    def get_paginated_response(self, data):
        if self.cursor_mode:
            body = {"next": self.next_link, "previous": self.previous_link}
        else:
            body = {
                "count": self.page.paginator.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
            }
        return Response({**body, "next_cursor": self.next_cursor, "results": data})

    def get_schema_operation_parameters(self, view):
        cursor = {
            "name": self.cursor_query_param,
            "required": False,
            "in": "query",
            "description": self.cursor_query_description,
            "schema": {"type": "string"},
        }
        return [*super().get_schema_operation_parameters(view), cursor]

    def get_paginated_response_schema(self, schema):
        numbered = super().get_paginated_response_schema(schema)
        properties = numbered["properties"]
        cursor_example = (
            "http://127.0.0.1:8000/api/v1/articles/?cursor=eyJvIjoiLXB1Ymxpc2hlZF9hdCIsImQiOiJuIn0%3AkX3fQ2"
        )
        return {
            "type": "object",
            "required": ["next", "previous", "next_cursor", "results"],
            "properties": {
                "count": {
                    **properties["count"],
                    "description": "Number of items on all pages; numbered pages only (not in cursor mode).",
                },
                "next": _link(
                    "URL of the next page, in the mode of this one (numbered or cursor); null on the last.",
                    properties["next"]["example"],
                ),
                "previous": _link(
                    "URL of the previous page, in the mode of this one; null on the first.",
                    properties["previous"]["example"],
                ),
                "next_cursor": _link(
                    "URL of the items after the last one on this page, in cursor mode: the way to read "
                    "on when items may be published meanwhile. Null on the last page, and for orderings "
                    "without cursor mode (`-relevance`). In cursor mode the same as `next`.",
                    cursor_example,
                ),
                "results": properties["results"],
            },
        }

    # --- Cursor mode -------------------------------------------------------------------------
    def _keyset(self, queryset) -> tuple[str, bool] | None:
        """(field, descending) of the active ordering when a cursor can follow it, else None."""
        if isinstance(queryset, QuerySet):
            query = queryset.query
            ordering = query.order_by or (queryset.model._meta.ordering if query.default_ordering else ())
        else:  # rows already in order, with the id as tiebreak (articles.listing.LiveArticles)
            ordering = queryset.ordered_by
        first = ordering[0] if ordering else None
        if not isinstance(first, str) or first.removeprefix("-") not in self.cursor_fields:
            return None
        self.key_field = queryset.model._meta.get_field(first.removeprefix("-"))
        return first.removeprefix("-"), first.startswith("-")

    def _order_by(self) -> tuple[str, str]:
        name, descending = self.keyset
        return (f"-{name}", "-pk") if descending else (name, "pk")

    def _paginate_by_cursor(self, queryset, request):
        if self.page_query_param in request.query_params:
            raise ValidationError({self.cursor_query_param: ["Give either `cursor` or `page`, not both."]})
        if self.keyset is None:
            raise ValidationError(
                {
                    self.cursor_query_param: [
                        "This ordering has no cursor mode; page through it with `page`. Cursors "
                        f"follow the orderings by {' or '.join(self.cursor_fields)}."
                    ]
                }
            )
        page_size = self.get_page_size(request)
        position = self._decode(request.query_params[self.cursor_query_param])
        forward = position is None or position["d"] == "next"
        if not isinstance(queryset, QuerySet):  # rows in order (LiveArticles): it narrows itself
            queryset = queryset.beyond(position, forward)
        elif position is not None:
            queryset = queryset.filter(self._beyond(position))
        if not forward and isinstance(queryset, QuerySet):
            queryset = queryset.reverse()
        items = list(queryset[: page_size + 1])
        more, items = len(items) > page_size, items[:page_size]
        if not forward:
            items.reverse()
        # Following a cursor, there is always something on the side it came from (the item it was
        # made from), unless that has gone since; a page from the start has nothing before it.
        first, last = (items[0], items[-1]) if items else (position, position)
        if forward:
            self.next_link = self._cursor_link("next", last) if more else None
            self.previous_link = self._cursor_link("previous", first) if position else None
        else:
            self.next_link = self._cursor_link("next", last)
            self.previous_link = self._cursor_link("previous", first) if more else None
        self.next_cursor = self.next_link
        return items

    def _beyond(self, position: dict) -> Q:
        """The items after (d=next) or before (d=previous) the position, in the active order."""
        name, descending = self.keyset
        smaller = descending == (position["d"] == "next")
        lookup = "lt" if smaller else "gt"
        value, pk = position["v"], position["pk"]
        # The bound on the field alone lets an index on it start at the position.
        bound = Q(**{f"{name}__{lookup}e": value})
        return bound & (Q(**{f"{name}__{lookup}": value}) | Q(**{name: value, f"pk__{lookup}": pk}))

    def _cursor_link(self, direction: str, item) -> str:
        """The link to the page after (next) or before (previous) `item`, a row or a position."""
        name, descending = self.keyset
        if isinstance(item, dict):
            value, pk = item["v"], item["pk"]
        else:
            value, pk = getattr(item, name), item.pk
        ordering = f"-{name}" if descending else name
        token = _signed_position(
            self.cursor_salt, settings.SECRET_KEY, ordering, direction[0], value.isoformat(), pk
        )
        url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
        return replace_query_param(url, self.cursor_query_param, token)

    def _decode(self, raw: str) -> dict | None:
        """The position a cursor stands for, {d, v, pk}; None for an empty one (the first page)."""
        if raw == "":
            return None
        invalid = ValidationError(
            {
                self.cursor_query_param: [
                    "Invalid cursor: use the `next_cursor`, `next` or `previous` link as given."
                ]
            }
        )
        try:
            payload = signing.Signer(salt=self.cursor_salt).unsign_object(raw)
            ordering, direction, value, pk = payload["o"], payload["d"], payload["v"], payload["pk"]
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            raise invalid from None
        name, descending = self.keyset
        if ordering != (f"-{name}" if descending else name):
            raise ValidationError(
                {
                    self.cursor_query_param: [
                        f"This cursor follows ordering={ordering}; start again without it, or "
                        "keep the ordering it was made for."
                    ]
                }
            )
        if direction not in ("n", "p") or not isinstance(pk, int) or not isinstance(value, str):
            raise invalid
        try:
            value = self.key_field.to_python(value)
        except DjangoValidationError:
            raise invalid from None
        return {"d": "next" if direction == "n" else "previous", "v": value, "pk": pk}

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from articles.models import Article, Video
from articles.preview import PREVIEW_SHAPE, MayViewInAdmin, previewed, unstored
from cms.pagination import bounded_page_size
from partners.permissions import KeyScopes
from partners.scopes import Scope

from . import writes
from .changes import InvalidSince, make_token, position_since, read_changes, with_cards
from .serializers import ChangePageSerializer, ChangeSerializer
from .write_serializers import ArticleWriteSerializer, VideoWriteSerializer

CHANGES_PAGE_SIZE, CHANGES_MAX_PAGE_SIZE = 100, 500
WRITE_SHAPES = {Article: ArticleWriteSerializer, Video: VideoWriteSerializer}  # drafts' ETags


class ChangeViewSet(viewsets.GenericViewSet):
    """Change sync for partners mirroring the public content: everything that changed since a
    point, oldest first. `upsert`: an article or video is publicly visible now (its teaser and
    detail URL are included); `delete`: it no longer is (unpublished, archived, expired or
    deleted). Scheduled items appear when they go live and expired ones when they expire, though
    nobody saved them then. Start without `since` (every visible item, then every change), keep
    `next_since`, and poll `next`; follow it at once while `has_more`. Each item appears at most
    once per page, as it is when served; apply changes in order, by `type` and `id`."""

    serializer_class = ChangePageSerializer
    pagination_class = None
    query_parameters = ("since", "page_size")  # read by list(): part of the cache key
    filter_backends = []

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "since",
                OpenApiTypes.STR,
                description="Where to go on from: the `next_since` token of the previous response, or "
                "an ISO 8601 time (e.g. `2025-01-31T08:00:00Z`: changes at or after it). Without it: "
                "from the beginning. A token that was altered, or a time in the future, is a 400.",
            ),
            OpenApiParameter(
                "page_size",
                {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": CHANGES_MAX_PAGE_SIZE,
                    "default": CHANGES_PAGE_SIZE,
                },
                description=f"Changes per page, from 1 to {CHANGES_MAX_PAGE_SIZE}; "
                f"default {CHANGES_PAGE_SIZE}.",
            ),
        ]
    )
    def list(self, request):
        limit = bounded_page_size(request, default=CHANGES_PAGE_SIZE, maximum=CHANGES_MAX_PAGE_SIZE)
        try:
            since = position_since(request.query_params.get("since"))
        except InvalidSince as error:
            raise ValidationError({"since": [str(error)]}) from None
        page = read_changes(since=since, limit=limit)
        changes, _ = with_cards(page.changes, request.build_absolute_uri("/")[:-1])  # never kept: no-cache
        token = make_token(page.position)
        change = ChangeSerializer(context=self.get_serializer_context())  # ChangePageSerializer's shape
        data = {
            "results": [change.to_representation(item) for item in changes],
            "next": replace_query_param(request.build_absolute_uri(), "since", token),
            "next_since": token,
            "has_more": page.has_more,
        }
        response = Response(data)
        response["Cache-Control"] = "no-cache"  # the same URL answers more as changes come in
        return response


# --- Drafts for staging sites ---------------------------------------------------------------------
class DraftView(APIView):
    """An article or video by slug in any state (draft, scheduled, expired...), for a staging site:
    with an API key that has `preview:read`, whose owner may view such items in the admin (or
    signed in to the admin). The shape of the preview link's; never cached. Its `ETag` is the
    item's version for the write API's `If-Match`."""

    model = Article  # as_view(model=...) per route
    key_scope = Scope.PREVIEW_READ
    requires_credentials = True
    permission_classes = [KeyScopes, MayViewInAdmin]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "slug", str, OpenApiParameter.PATH, description="Slug of the item, whatever its state."
            )
        ],
        responses={
            200: OpenApiResponse(
                PREVIEW_SHAPE,
                description="The item as its public detail endpoint would serve it once live.",
            ),
        },
    )
    def get(self, request, slug):
        response = previewed(self, self.model, slug=slug)
        shape = WRITE_SHAPES[self.model]
        data = shape(self.model.objects.get(slug=slug), context={"request": request}).data
        response["ETag"] = writes.etag_of(data)
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        return unstored(super().finalize_response(request, response, *args, **kwargs))

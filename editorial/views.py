from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from articles import views as articles_views
from articles.models import Article
from articles.preview import PREVIEW_SHAPE, MayViewInAdmin, previewed, unstored
from cms.exceptions import PROBLEM_CONTENT_TYPE
from cms.pagination import bounded_page_size
from cms.publishing import Status, publish, unpublish
from cms.schema import documented_problem
from partners.permissions import KeyScopes
from partners.scopes import Scope

from . import writes
from .changes import InvalidSince, make_token, position_since, read_changes, with_cards
from .serializers import ArticleWriteSerializer, ChangePageSerializer, ChangeSerializer
from .services import record_revision, take_snapshot

CHANGES_PAGE_SIZE, CHANGES_MAX_PAGE_SIZE = 100, 500


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


# --- The write API --------------------------------------------------------------------------------
class PublishSerializer(serializers.Serializer):
    """When the item goes live: now (nothing sent), or at a later `published_at` (scheduled)."""

    published_at = serializers.DateTimeField(required=False, help_text="A later time schedules it.")
    expires_at = serializers.DateTimeField(required=False, allow_null=True, help_text="Optional.")

    def validate(self, attrs):
        at, until = attrs.get("published_at"), attrs.get("expires_at")
        if until is not None and until <= (at or timezone.now()):
            raise serializers.ValidationError({"expires_at": ["Must be after the publish time."]})
        return attrs


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="The item's current `ETag` (from the last answer about it): the change is refused "
    "with a 412 if the item changed since, and with a 428 without it.",
)
IF_MATCH_OPTIONAL = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Optional: the item's current `ETag`; a 412 if it changed since.",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description='A unique key for this create, e.g. `"8e03978e-40d5-43e8-bc93-6894a57f9324"`: a retry '
    "with the same key and body gets the first answer again (`Idempotent-Replayed: true`); the same "
    "key with another body is a 422. Kept for IDEMPOTENCY_KEY_HOURS (24).",
)
WRITTEN_HEADERS = {
    "ETag": {
        "description": "The item's version: send it in `If-Match` to change it.",
        "schema": {"type": "string"},
    },
    "Location": {
        "description": "Where to read the item in any state (drafts, `preview:read`).",
        "schema": {"type": "string"},
    },
}


def _problems(*statuses: int) -> dict:
    details = {
        400: ("Invalid body", "The request body is invalid."),
        401: ("No or bad credentials", "Unknown or revoked API key."),
        403: ("Not allowed", "This API key lacks the scope content:write."),
        404: ("No such item", "Not found."),
        409: ("Idempotency-Key in use", writes.IdempotencyConflict.default_detail),
        412: ("Changed since that ETag", writes.PreconditionFailed.default_detail),
        415: ("Not JSON", 'Unsupported media type "text/plain" in request.'),
        422: ("Idempotency-Key reused", writes.IdempotencyKeyReused.default_detail),
        428: ("If-Match missing", writes.PreconditionRequired.default_detail),
    }
    return {
        (status_code, PROBLEM_CONTENT_TYPE): documented_problem(status_code, *details[status_code])
        for status_code in statuses
    }


def _written(status_code: int, description: str) -> dict:
    return {status_code: OpenApiResponse(ArticleWriteSerializer, description=description)}


WRITE_SCOPES = {
    "create": Scope.CONTENT_WRITE,
    "update": Scope.CONTENT_WRITE,
    "partial_update": Scope.CONTENT_WRITE,
    "destroy": Scope.CONTENT_PUBLISH,
    "publish": Scope.CONTENT_PUBLISH,
    "unpublish": Scope.CONTENT_PUBLISH,
}


class ArticleViewSet(articles_views.ArticleViewSet):
    """Published articles, newest first (reads: as `articles.views.ArticleViewSet`), and the write
    API for articles: create drafts, change and delete them, publish, schedule and unpublish."""

    key_scopes = WRITE_SCOPES

    @property
    def requires_credentials(self) -> bool:  # the schema's security (cms.schema)
        return getattr(self, "action", None) in WRITE_SCOPES

    def get_serializer_class(self):
        if self.action in WRITE_SCOPES:
            return ArticleWriteSerializer  # the publish action reads its own (PublishSerializer)
        return super().get_serializer_class()

    def get_permissions(self):
        if self.action in WRITE_SCOPES:
            return [KeyScopes()]  # the account's role: each action checks it (writes.require)
        return super().get_permissions()

    def _answer(self, article, status_code=200) -> Response:
        data = ArticleWriteSerializer(article, context=self.get_serializer_context()).data
        location = reverse("draft-article", kwargs={"slug": article.slug}, request=self.request)
        return Response(
            data, status=status_code, headers={"ETag": writes.etag_of(data), "Location": location}
        )

    def _locked(self, slug) -> Article:
        return get_object_or_404(Article.objects.select_for_update(), slug=slug)

    def _current_etag(self, article) -> str:
        return writes.etag_of(ArticleWriteSerializer(article, context=self.get_serializer_context()).data)

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY],
        responses={
            **_written(201, "The draft, with its ETag and Location."),
            **_problems(400, 401, 403, 409, 415, 422),
        },
    )
    def create(self, request, *args, **kwargs):
        """Create a draft article (`content:write`; the account may add articles in the admin)."""
        writes.require(request, "articles.add_article")

        def create():
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            try:
                with transaction.atomic():
                    article = serializer.save()
                    record_revision(obj=article, user=request.user, comment=writes.via(request, "Created"))
            except IntegrityError:  # another request took the slug since it was checked
                raise ValidationError({"slug": ["An article with this slug already exists."]}) from None
            return self._answer(article, status.HTTP_201_CREATED)

        return writes.idempotent(request, create)

    @extend_schema(
        parameters=[IF_MATCH],
        responses={
            **_written(200, "The article as stored now."),
            **_problems(400, 401, 403, 404, 412, 415, 428),
        },
    )
    def update(self, request, *args, partial=False, **kwargs):
        """Replace an article: what is left out is emptied (`content:write`; once it is no longer a
        draft, `content:publish` and an editor's role too, as in the admin)."""
        writes.require(request, "articles.change_article")
        with transaction.atomic():
            article = self._locked(kwargs["slug"])
            if article.status != Status.DRAFT:  # as in the admin: only editors change what was published
                writes.require(request, "articles.publish_article", scope=Scope.CONTENT_PUBLISH)
            writes.check_if_match(request, self._current_etag(article))
            before = take_snapshot(article)
            data = request.data
            if not partial and isinstance(data, dict):
                data = {**self._cleared(data), **data}
            serializer = self.get_serializer(article, data=data, partial=partial)
            serializer.is_valid(raise_exception=True)
            article = serializer.save()
            record_revision(
                obj=article, user=request.user, before=before, comment=writes.via(request, "Changed")
            )
        return self._answer(article)

    @extend_schema(
        parameters=[IF_MATCH],
        responses={
            **_written(200, "The article as stored now."),
            **_problems(400, 401, 403, 404, 412, 415, 428),
        },
    )
    def partial_update(self, request, *args, **kwargs):
        """Change the fields sent (`content:write`; once it is no longer a draft, `content:publish`
        and an editor's role too, as in the admin)."""
        return self.update(request, *args, partial=True, **kwargs)

    @staticmethod
    def _cleared(data) -> dict:
        """What a PUT leaves out is emptied: it replaces the whole article."""
        cleared = {name: "" for name in ("standfirst", "seo_title", "seo_description", "canonical_url")}
        cleared.update(topics=[], authors=[], hero_image=None, lead_video=None)
        if not (isinstance(data, dict) and "body" in data):
            cleared["body_html"] = ""
        return cleared

    @extend_schema(
        parameters=[IF_MATCH],
        responses={204: OpenApiResponse(description="Deleted."), **_problems(401, 403, 404, 412, 428)},
    )
    def destroy(self, request, *args, **kwargs):
        """Delete an article (`content:publish`, and an editor's role): `/changes/` serves its
        tombstone if the public had seen it."""
        writes.require(
            request, "articles.delete_article", "articles.publish_article", scope=Scope.CONTENT_PUBLISH
        )
        with transaction.atomic():
            article = self._locked(kwargs["slug"])
            writes.check_if_match(request, self._current_etag(article))
            article.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=PublishSerializer,
        parameters=[IF_MATCH_OPTIONAL],
        responses={
            **_written(200, "The article, live or scheduled."),
            **_problems(400, 401, 403, 404, 412, 415),
        },
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, slug=None):
        """Publish now, or schedule with a later `published_at`. `If-Match` is honoured if sent."""
        writes.require(request, "articles.publish_article", scope=Scope.CONTENT_PUBLISH)
        when = PublishSerializer(data=request.data)
        when.is_valid(raise_exception=True)
        with transaction.atomic():
            article = self._locked(slug)
            writes.check_if_match(request, self._current_etag(article), required=False)
            before = take_snapshot(article)
            at = when.validated_data.get("published_at")
            if "expires_at" in when.validated_data:
                article.expires_at = when.validated_data["expires_at"]
            if at is not None and at > timezone.now():
                article.status, article.published_at, what = Status.PUBLISHED, at, "Scheduled"
                article.save()
            else:
                article.save()
                publish(queryset=Article.objects.filter(pk=article.pk))
                what = "Published"
            article.refresh_from_db()
            record_revision(obj=article, user=request.user, before=before, comment=writes.via(request, what))
        return self._answer(article)

    @extend_schema(
        request=None,
        parameters=[IF_MATCH_OPTIONAL],
        responses={**_written(200, "The article, a draft again."), **_problems(401, 403, 404, 412)},
    )
    @action(detail=True, methods=["post"])
    def unpublish(self, request, slug=None):
        """Back to draft: gone from the public API at once. `If-Match` is honoured if sent."""
        writes.require(request, "articles.publish_article", scope=Scope.CONTENT_PUBLISH)
        with transaction.atomic():
            article = self._locked(slug)
            writes.check_if_match(request, self._current_etag(article), required=False)
            before = take_snapshot(article)
            unpublish(queryset=Article.objects.filter(pk=article.pk))
            article.refresh_from_db()
            record_revision(
                obj=article, user=request.user, before=before, comment=writes.via(request, "Unpublished")
            )
        return self._answer(article)


# --- Drafts for staging sites ---------------------------------------------------------------------
class DraftView(APIView):
    """An article or video by slug in any state (draft, scheduled, expired...), for a staging site:
    with an API key that has `preview:read`, whose owner may view such items in the admin (or
    signed in to the admin). The shape of the preview link's; never cached. An article's `ETag` is
    its version for the write API's `If-Match`."""

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
        if self.model is Article:
            article = Article.objects.get(slug=slug)
            data = ArticleWriteSerializer(article, context={"request": request}).data
            response["ETag"] = writes.etag_of(data)
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        return unstored(super().finalize_response(request, response, *args, **kwargs))

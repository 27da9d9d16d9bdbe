"""The write API: each public resource's viewset (articles.views) with create, replace, change and
delete added, and publishing for articles and videos. One mixin holds the flow every write takes,
the admin's: the role and the key's scope (writes.require), the item locked and its ETag checked
(If-Match), the save through the model (so slug redirects, the change log and cache purges follow
as after an admin save), and a revision naming the key."""

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.viewsets import GenericViewSet

from articles import views as articles_views
from articles.models import Article, Image, Video
from cms.exceptions import PROBLEM_CONTENT_TYPE
from cms.parsers import JSONParser
from cms.publishing import Status, publish, unpublish
from cms.schema import documented_problem
from partners.permissions import KeyScopes
from partners.scopes import Scope

from . import writes
from .services import record_revision, take_snapshot
from .write_serializers import (
    ArticleWriteSerializer,
    AuthorWriteSerializer,
    ImageWriteSerializer,
    SectionWriteSerializer,
    TopicWriteSerializer,
    VideoWriteSerializer,
    refuse_unknown_and_forbidden,
)


class PublishSerializer(serializers.Serializer):
    """When the item goes live: now (nothing sent), or at a later `published_at` (scheduled); and,
    optionally, when it expires. An expiry already set that would come before it goes live is
    cleared, as publishing now clears a past one."""

    published_at = serializers.DateTimeField(required=False, help_text="A later time schedules it.")
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Optional: when it leaves the public API; null: never."
    )

    def to_internal_value(self, data):
        refuse_unknown_and_forbidden(data, self.fields)
        return super().to_internal_value(data)

    def validate(self, attrs):
        at, until = attrs.get("published_at"), attrs.get("expires_at")
        if until is not None and until <= (at or timezone.now()):
            raise serializers.ValidationError({"expires_at": ["Must be after the publish time."]})
        return attrs


class InUse(exceptions.APIException):
    status_code = 409
    default_detail = "Other items use this one: move them elsewhere first."
    default_code = "in_use"


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="The item's current `ETag`, from a write answer or from `GET .../edit/` (the public "
    "GET's ETag is another: it versions a representation): the change is refused "
    "with a 412 if the item changed since, and with a 428 without it.",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description='A unique key for this create, e.g. `"8e03978e-40d5-43e8-bc93-6894a57f9324"`: a retry '
    "with the same key and body gets the first answer again (`Idempotent-Replayed: true`); the same "
    "key with another body is a 422. Kept for IDEMPOTENCY_KEY_HOURS (24).",
)
PROBLEMS = {
    400: ("Invalid body", "The request body is invalid."),
    401: ("No or bad credentials", "Unknown or revoked API key."),
    403: ("Not allowed", "This API key lacks the scope content:write."),
    404: ("No such item", "Not found."),
    409: ("In use, or its Idempotency-Key is", "Other items use this one: move them elsewhere first."),
    412: ("Changed since that ETag", writes.PreconditionFailed.default_detail),
    413: ("Body too large", "The request body is larger than the bytes allowed."),
    415: ("Not JSON", 'Unsupported media type "text/plain" in request.'),
    422: ("Idempotency-Key reused", writes.IdempotencyKeyReused.default_detail),
    428: ("If-Match missing", writes.PreconditionRequired.default_detail),
}


def _problems(*statuses: int) -> dict:
    return {(code, PROBLEM_CONTENT_TYPE): documented_problem(code, *PROBLEMS[code]) for code in statuses}


ANSWER_HEADERS = [
    OpenApiParameter(
        "ETag",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[200, 201],
        description="The item's version: send it in `If-Match` to change it.",
    ),
    OpenApiParameter(
        "Location",
        OpenApiTypes.URI,
        OpenApiParameter.HEADER,
        response=[200, 201],
        description="Where to read the item as the write API shows it, in any state: its `.../edit/` "
        "route (an image: its own URL).",
    ),
]


def documented_writes(serializer, noun: str, *, publishing: bool = False, in_use: bool = False):
    """The schema of a resource's writes: bodies and answers in `serializer`'s shape, the headers
    they take and give, and every error they can answer."""

    def written(code: int, description: str) -> dict:
        return {code: OpenApiResponse(serializer, description=description)}

    changed = [400, 401, 403, 404, 412, 413, 415, 428]
    editors_too = (
        " Once it is no longer a draft, `content:publish` and an editor's role too." if publishing else ""
    )
    views = {
        "create": extend_schema(
            description=f"Create {noun} (`content:write`, and an account that may add them in the admin).",
            parameters=[IDEMPOTENCY_KEY, *ANSWER_HEADERS],
            responses={
                **written(201, "The new item, with its ETag."),
                **_problems(400, 401, 403, 409, 413, 415, 422),
            },
        ),
        "update": extend_schema(
            description=f"Replace {noun}: what is left out is emptied (`content:write`).{editors_too}",
            parameters=[IF_MATCH, *ANSWER_HEADERS],
            responses={**written(200, "As stored now."), **_problems(*changed)},
        ),
        "partial_update": extend_schema(
            description=f"Change the fields sent of {noun} (`content:write`).{editors_too}",
            parameters=[IF_MATCH, *ANSWER_HEADERS],
            responses={**written(200, "As stored now."), **_problems(*changed)},
        ),
        "edit": extend_schema(
            description=f"Read {noun} as the write API takes it, in any state, with the `ETag` to change "
            "it with (`content:write`, and an account that may view them in the admin). Never public.",
            parameters=ANSWER_HEADERS,
            responses={**written(200, "As stored now."), **_problems(401, 403, 404)},
        ),
        "destroy": extend_schema(
            description=f"Delete {noun} (`content:publish`, and an account that may delete them).",
            parameters=[IF_MATCH],
            responses={
                204: OpenApiResponse(description="Deleted."),
                **_problems(401, 403, 404, *([409] if in_use else []), 412, 428),
            },
        ),
    }
    if publishing:
        views["publish"] = extend_schema(
            description=f"Publish {noun} now, or schedule it with a later `published_at` "
            "(`content:publish`, and an editor's role).",
            request=PublishSerializer,
            parameters=[IF_MATCH, *ANSWER_HEADERS],
            responses={**written(200, "Live or scheduled."), **_problems(400, 401, 403, 404, 412, 415, 428)},
        )
        views["unpublish"] = extend_schema(
            description=f"Take {noun} back to draft: gone from the public API at once "
            "(`content:publish`, and an editor's role).",
            request=None,
            parameters=[IF_MATCH, *ANSWER_HEADERS],
            responses={**written(200, "A draft again."), **_problems(401, 403, 404, 412, 428)},
        )

    def decorate(viewset):
        return extend_schema_view(
            **{name: views[name] for name in views if callable(getattr(viewset, name, None))}
        )(viewset)

    return decorate


WRITE_SCOPES = {
    "edit": Scope.CONTENT_WRITE,
    "create": Scope.CONTENT_WRITE,
    "update": Scope.CONTENT_WRITE,
    "partial_update": Scope.CONTENT_WRITE,
    "destroy": Scope.CONTENT_PUBLISH,
    "publish": Scope.CONTENT_PUBLISH,
    "unpublish": Scope.CONTENT_PUBLISH,
}


class WritesMixin:
    """Create, replace, change and delete for a read-only viewset of the public API. The subclass
    names `write_serializer_class`; its model's admin permissions decide who may."""

    write_serializer_class: type[serializers.ModelSerializer]
    key_scopes = WRITE_SCOPES
    location_route = "edit"  # the route of the Location header: where an item is read in any state

    @property
    def model(self):
        return self.write_serializer_class.Meta.model

    @property
    def writing(self) -> bool:
        return getattr(self, "action", None) in self.key_scopes

    @property
    def requires_credentials(self) -> bool:  # the schema's security (cms.schema)
        return self.writing

    def get_serializer_class(self):
        if self.writing:
            return self.write_serializer_class
        return super().get_serializer_class()

    def get_serializer_context(self):
        if self.writing:  # the write shape is whole: no ?fields= or ?expand=
            return {"request": self.request, "format": self.format_kwarg, "view": self}
        return super().get_serializer_context()

    def get_permissions(self):
        if self.writing:
            return [KeyScopes()]  # the account's role: each action checks it (writes.require)
        return super().get_permissions()

    def perm(self, action: str) -> str:
        return f"{self.model._meta.app_label}.{action}_{self.model._meta.model_name}"

    # --- The item and its version ---------------------------------------------------------------
    def locked(self, lookup: str):
        """The item, its row locked until the transaction ends, with the relations its write shape
        shows loaded in one query each (its ETag is worked out from that shape)."""
        item = get_object_or_404(
            self.model.objects.select_for_update(of=("self",)).select_related(
                *self._shown_relations(many=False)
            ),
            **{self.lookup_field: lookup},
        )
        prefetch_related_objects([item], *self._shown_relations(many=True))
        return item

    def _shown_relations(self, *, many: bool) -> list[str]:
        kind = serializers.ManyRelatedField if many else serializers.SlugRelatedField  # ids need no join
        return [
            field.source for field in self.write_serializer_class().fields.values() if isinstance(field, kind)
        ]

    def shown(self, item) -> dict:
        return self.write_serializer_class(item, context=self.get_serializer_context()).data

    def current_etag(self, item) -> str:
        return writes.etag_of(self.shown(item))

    def answer(self, item, status_code=200) -> Response:
        data = self.shown(item)
        kwargs = {self.lookup_field: getattr(item, self.lookup_field)}
        route = f"{self.basename}-{self.location_route}"
        location = reverse(route, kwargs=kwargs, request=self.request)
        return Response(
            data, status=status_code, headers={"ETag": writes.etag_of(data), "Location": location}
        )

    def check_may_change(self, item) -> None:
        """More than the change permission, for some items (a published article's)."""

    # --- The actions ----------------------------------------------------------------------------
    @action(detail=True, methods=["get"])
    def edit(self, request, **kwargs):
        writes.require(request, self.perm("view"))
        return self.answer(get_object_or_404(self.model, **{self.lookup_field: kwargs[self.lookup_field]}))

    def create(self, request, *args, **kwargs):
        writes.require(request, self.perm("add"))

        def create():
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            try:
                with transaction.atomic():
                    item = serializer.save()
                    record_revision(obj=item, user=request.user, comment=writes.via(request, "Created"))
            except IntegrityError:  # another request took the slug since it was checked
                raise ValidationError({"slug": ["An item with this slug already exists."]}) from None
            return self.answer(item, status.HTTP_201_CREATED)

        return writes.idempotent(request, create)

    def update(self, request, *args, partial=False, **kwargs):
        writes.require(request, self.perm("change"))
        with transaction.atomic():
            item = self.locked(kwargs[self.lookup_field])
            self.check_may_change(item)
            writes.check_if_match(request, self.current_etag(item))
            before = take_snapshot(item)
            serializer = self.get_serializer(item, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            try:
                with transaction.atomic():
                    item = serializer.save()
            except IntegrityError:
                raise ValidationError({"slug": ["An item with this slug already exists."]}) from None
            record_revision(
                obj=item, user=request.user, before=before, comment=writes.via(request, "Changed")
            )
        return self.answer(item)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        writes.require(request, *self.delete_perms(), scope=self.key_scopes["destroy"])
        with transaction.atomic():
            item = self.locked(kwargs[self.lookup_field])
            writes.check_if_match(request, self.current_etag(item))
            self.check_may_delete(item)
            try:
                with transaction.atomic():
                    item.delete()
            except ProtectedError as error:
                users = sorted({str(obj) for obj in error.protected_objects})
                shown = ", ".join(users[:5]) + (f" and {len(users) - 5} more" if len(users) > 5 else "")
                raise InUse(f"Other items use this one ({shown}): move them elsewhere first.") from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    def delete_perms(self) -> list[str]:
        return [self.perm("delete")]

    def check_may_delete(self, item) -> None:
        """Refuse (InUse) to delete an item others need; models' PROTECT relations refuse too."""


class PublishingMixin(WritesMixin):
    """Articles and videos: the admin's publishing rule (a reporter edits drafts; only an editor
    changes, publishes, unpublishes or deletes what was published) and the publishing actions."""

    def check_may_change(self, item) -> None:
        if item.status != Status.DRAFT:  # as in the admin: only editors change what was published
            writes.require(self.request, self.perm("publish"), scope=Scope.CONTENT_PUBLISH)

    def delete_perms(self) -> list[str]:
        return [self.perm("delete"), self.perm("publish")]

    @action(detail=True, methods=["post"])
    def publish(self, request, **kwargs):
        writes.require(request, self.perm("publish"), scope=Scope.CONTENT_PUBLISH)
        when = PublishSerializer(data=request.data)
        when.is_valid(raise_exception=True)
        with transaction.atomic():
            item = self.locked(kwargs[self.lookup_field])
            writes.check_if_match(request, self.current_etag(item))
            before = take_snapshot(item)
            at = when.validated_data.get("published_at")
            if "expires_at" in when.validated_data:
                item.expires_at = when.validated_data["expires_at"]
            if at is not None and at > timezone.now():
                if item.expires_at is not None and item.expires_at <= at:
                    item.expires_at = None  # it would never be seen (publish() clears a past one too)
                item.status, item.published_at, what = Status.PUBLISHED, at, "Scheduled"
                item.save()
            else:
                if "expires_at" in when.validated_data:
                    item.save(update_fields=["expires_at"])
                publish(queryset=self.model.objects.filter(pk=item.pk))
                what = "Published"
            item.refresh_from_db()
            record_revision(obj=item, user=request.user, before=before, comment=writes.via(request, what))
        return self.answer(item)

    @action(detail=True, methods=["post"])
    def unpublish(self, request, **kwargs):
        writes.require(request, self.perm("publish"), scope=Scope.CONTENT_PUBLISH)
        with transaction.atomic():
            item = self.locked(kwargs[self.lookup_field])
            writes.check_if_match(request, self.current_etag(item))
            before = take_snapshot(item)
            unpublish(queryset=self.model.objects.filter(pk=item.pk))
            item.refresh_from_db()
            record_revision(
                obj=item, user=request.user, before=before, comment=writes.via(request, "Unpublished")
            )
        return self.answer(item)


# --- The resources --------------------------------------------------------------------------------
@documented_writes(ArticleWriteSerializer, "an article", publishing=True)
class ArticleViewSet(PublishingMixin, articles_views.ArticleViewSet):
    """Published articles, newest first (reads: as `articles.views.ArticleViewSet`), and the write
    API for articles: create drafts, change and delete them, publish, schedule and unpublish."""

    write_serializer_class = ArticleWriteSerializer


@documented_writes(VideoWriteSerializer, "a video", publishing=True)
class VideoViewSet(PublishingMixin, articles_views.VideoViewSet):
    write_serializer_class = VideoWriteSerializer


@documented_writes(AuthorWriteSerializer, "an author")
class AuthorViewSet(WritesMixin, articles_views.AuthorViewSet):
    write_serializer_class = AuthorWriteSerializer


@documented_writes(SectionWriteSerializer, "a section", in_use=True)
class SectionViewSet(WritesMixin, articles_views.SectionViewSet):
    write_serializer_class = SectionWriteSerializer


@documented_writes(TopicWriteSerializer, "a topic")
class TopicViewSet(WritesMixin, articles_views.TopicViewSet):
    write_serializer_class = TopicWriteSerializer


@documented_writes(ImageWriteSerializer, "an image", in_use=True)
class ImageViewSet(WritesMixin, GenericViewSet):
    """The image library, for ingestion: upload an image (multipart), read it, change its text or
    focal point, delete it. Never public as a list: readers meet images in the content that uses
    them. Reads need a key with `content:write` (or an admin session) too."""

    write_serializer_class = serializer_class = ImageWriteSerializer
    location_route = "detail"
    lookup_value_regex = "[0-9]{1,18}"
    queryset = Image.objects.all()
    parser_classes = [JSONParser, MultiPartParser]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    key_scopes = {**WRITE_SCOPES, "retrieve": Scope.CONTENT_WRITE}
    edit = None  # its own detail route is the one read: /api/v1/images/{id}/
    filter_backends = []
    pagination_class = None

    @extend_schema(
        description="An image of the library, by id (`content:write`, and an account that may view "
        "images in the admin). Its `ETag` is the version for `If-Match`.",
        parameters=ANSWER_HEADERS,
        responses={200: ImageWriteSerializer, **_problems(401, 403, 404)},
    )
    def retrieve(self, request, pk=None):
        writes.require(request, self.perm("view"))
        return self.answer(get_object_or_404(Image, pk=pk))

    def get_parsers(self):
        if getattr(self, "request", None) is not None and self.request.method == "POST":
            return [MultiPartParser()]  # an upload: its file is the point
        return super().get_parsers()

    def create(self, request, *args, **kwargs):
        writes.check_upload_size(request)
        return super().create(request, *args, **kwargs)

    def partial_update(self, request, *args, **kwargs):
        writes.check_upload_size(request)
        return super().partial_update(request, *args, **kwargs)

    def check_may_delete(self, image) -> None:
        """An image an article leads with, or a video's poster frame, stays: the item would lose it
        without anyone deciding so. (An image embedded in bodies may go: the body leaves it out.)"""
        users = [
            *(str(article) for article in Article.objects.filter(hero_image=image)[:6]),
            *(str(video) for video in Video.objects.filter(thumbnail=image)[:6]),
        ]
        if users:
            shown = ", ".join(users[:5]) + (" and more" if len(users) > 5 else "")
            raise InUse(f"Other items use this one ({shown}): move them elsewhere first.")

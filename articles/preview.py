"""Draft preview: the admin hands out a signed, expiring link; the API serves the item through it
exactly as its public detail endpoint would once it is live, whatever its state now.

The token signs the model and primary key (not the slug, which may change while the item is
edited) with the time it was made, so it needs no storage and stops working after
PREVIEW_MAX_AGE_SECONDS. Anyone holding a link sees the item until then: it is a capability, as a
"share draft" link is, and it is never cached."""

from django.apps import apps
from django.conf import settings
from django.core import signing
from django.db import models
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import exceptions, serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from cms.exceptions import PROBLEM_CONTENT_TYPE
from cms.schema import documented_problem

from .embeds import load_body_embeds
from .models import Article, Video
from .serializers import ArticleDetailSerializer, VideoDetailSerializer

SALT = "cms.preview"
PREVIEWABLE = {"articles.article", "articles.video"}


def make_preview_token(obj: models.Model) -> str:
    """A token for previewing `obj`, valid for PREVIEW_MAX_AGE_SECONDS from now."""
    return signing.dumps({"model": obj._meta.label_lower, "pk": obj.pk}, salt=SALT)


def read_preview_token(token: str) -> tuple[type[models.Model], int]:
    """The model and primary key a token was made for. Raises `signing.SignatureExpired` once
    it is older than PREVIEW_MAX_AGE_SECONDS, and `signing.BadSignature` (its base class) for a
    token that this site did not make."""
    payload = signing.loads(token, salt=SALT, max_age=settings.PREVIEW_MAX_AGE_SECONDS)
    # Signed here, but perhaps by another version of this code, or with another key's payload
    # shape: anything but what make_preview_token() writes is a token this site did not make.
    if not isinstance(payload, dict) or set(payload) != {"model", "pk"}:
        raise signing.BadSignature("Not a preview token.")
    label, pk = payload["model"], payload["pk"]
    if not isinstance(label, str) or label not in PREVIEWABLE or type(pk) is not int:
        raise signing.BadSignature("Not a preview token.")
    return apps.get_model(label), pk


def preview_url(obj: models.Model) -> str:
    """Where the admin's Preview button leads: the frontend's preview page when
    PREVIEW_URL_TEMPLATE is set, else the API's JSON for the item."""
    token = make_preview_token(obj)
    if settings.PREVIEW_URL_TEMPLATE:
        return settings.PREVIEW_URL_TEMPLATE.format(token=token)
    return reverse("preview", kwargs={"token": token})


class PreviewExpired(exceptions.APIException):
    status_code = 410
    default_detail = "This preview link has expired. Open the preview again from the admin for a new one."
    default_code = "preview_expired"


class ArticlePreviewSerializer(ArticleDetailSerializer):
    """An article, as `GET /api/v1/articles/{slug}/` serves it, marked as an article."""

    type = serializers.SerializerMethodField(help_text="`article`: render it as an article page.")

    class Meta(ArticleDetailSerializer.Meta):
        fields = ["type", *ArticleDetailSerializer.Meta.fields]

    def get_type(self, article) -> str:
        return "article"

    def represent(self, article):
        return {"type": "article", **super().represent(article)}


class VideoPreviewSerializer(VideoDetailSerializer):
    """A video, as `GET /api/v1/videos/{slug}/` serves it, marked as a video."""

    type = serializers.SerializerMethodField(help_text="`video`: render it as a video page.")

    class Meta(VideoDetailSerializer.Meta):
        fields = ["type", *VideoDetailSerializer.Meta.fields]

    def get_type(self, video) -> str:
        return "video"

    def represent(self, video):
        return {"type": "video", **super().represent(video)}


# An article or video in any state, as a preview link or the drafts endpoint serves it.
PREVIEW_SHAPE = PolymorphicProxySerializer(
    component_name="Preview",
    serializers={"article": ArticlePreviewSerializer, "video": VideoPreviewSerializer},
    resource_type_field_name="type",
)


class PreviewView(APIView):
    """An article or video in any state (draft, scheduled, expired...) through a signed preview
    link from the admin, in the same shape as its public detail endpoint plus `type`, so that a
    frontend can render it before it is published. Embedded and related items are shown only if
    they are publicly visible, as they would be on the live page. Links expire (after an hour by
    default); responses are never cached."""

    authentication_classes = []  # the token is the credential; no session, so no CSRF either
    permission_classes = []

    @extend_schema(
        operation_id="preview_retrieve",
        parameters=[
            OpenApiParameter(
                "token",
                str,
                OpenApiParameter.PATH,
                description="The signed token of a preview link, as the admin's Preview button gives it.",
            )
        ],
        responses={
            200: OpenApiResponse(
                PREVIEW_SHAPE,
                description="The article or video the link was made for; `type` says which.",
            ),
            (404, PROBLEM_CONTENT_TYPE): documented_problem(
                404,
                "Not a preview link, or the item has been deleted",
                "This preview link is not valid.",
                code="preview_invalid",
            ),
            (410, PROBLEM_CONTENT_TYPE): documented_problem(
                410, "Preview link expired", PreviewExpired.default_detail, code=PreviewExpired.default_code
            ),
        },
    )
    def get(self, request, token):
        try:
            model, pk = read_preview_token(token)
        except signing.SignatureExpired:
            raise PreviewExpired() from None
        except signing.BadSignature:
            raise exceptions.NotFound("This preview link is not valid.", code="preview_invalid") from None
        return previewed(self, model, pk=pk)

    def finalize_response(self, request, response, *args, **kwargs):
        return unstored(super().finalize_response(request, response, *args, **kwargs))


def previewed(view, model, **lookup) -> Response:
    """The item of `model` found by `lookup`, in any state, as the public detail endpoint would
    serve it, plus `type`. What the public detail endpoints load, without published(); a 404 if
    there is none."""
    context = {"request": view.request, "format": view.format_kwarg, "view": view}
    if model is Article:
        article = get_object_or_404(Article.objects.for_detail_api(), **lookup)
        context["embeds"] = load_body_embeds([article])
        return Response(ArticlePreviewSerializer(article, context=context).data)
    video = get_object_or_404(Video.objects.for_api(), **lookup)
    return Response(VideoPreviewSerializer(video, context=context).data)


def unstored(response):
    # Errors too: a shared cache must never keep a draft, nor an answer about a token.
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


class MayViewInAdmin(BasePermission):
    """Signed in (or with an API key, acting as its owner) as someone who may view the view's
    model in the admin."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            raise exceptions.NotAuthenticated()
        opts = view.model._meta
        return user.is_active and user.is_staff and user.has_perm(f"{opts.app_label}.view_{opts.model_name}")

"""The ninjs routes: `/api/v1/{articles,videos}/{slug}/ninjs/` for the public, cached and purged
like the detail; `/api/v1/drafts/{articles,videos}/{slug}/ninjs/` with `preview:read`, never
cached. JSON by default; `application/ninjs+json` to whoever asks for it by name."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from cms.caching import add_surrogate_keys
from cms.renderers import NinjsRenderer, ORJSONRenderer
from partners.permissions import KeyScopes
from partners.scopes import Scope

from ..models import Article, Video
from ..preview import MayViewInAdmin, unstored
from ..redirects import SlugRedirectMixin
from .documents import document, ninjs_items
from .serializers import NinjsItemSerializer

RENDERERS = [ORJSONRenderer, NinjsRenderer]  # JSON first: `*/*` gets it (cms.caching keys by the choice)
NEGOTIATION = (
    " The same JSON is served as `application/json` and, to a client asking for it by name "
    "(`Accept: application/ninjs+json`, or `?format=ninjs`), as `application/ninjs+json`."
)


def _parameters(slug: str) -> list[OpenApiParameter]:
    return [
        OpenApiParameter("slug", str, OpenApiParameter.PATH, description=slug),
        OpenApiParameter(
            "format",
            {"type": "string", "enum": ["json", "ninjs"]},
            description="`ninjs`: served as `application/ninjs+json` whatever `Accept` says; `json`: as "
            "`application/json`. The body is the same.",
        ),
    ]


class _Document:
    """retrieve(): the publicly visible item as a ninjs document, named for the cache by all it
    shows, as its detail is: a change to the item, its pictures, topics, authors, section or
    embeds purges it. A 404 for an unknown or hidden slug, where SlugRedirectMixin redirects an
    old one (to `{basename}-detail`, the ninjs route's name)."""

    model: type
    lookup_field = "slug"
    renderer_classes = RENDERERS
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        return ninjs_items(self.model).published()  # built per request: published() reads the clock

    def retrieve(self, request, *args, **kwargs):
        item = self.get_queryset().filter(slug=kwargs["slug"]).first()
        if item is None:
            raise Http404
        data, keys = document(item, request)
        response = Response(data)
        add_surrogate_keys(response, objects=[item], keys=keys)
        return response


class ArticleNinjsViewSet(SlugRedirectMixin, _Document, viewsets.GenericViewSet):
    """A publicly visible article as an IPTC ninjs 3.3 document, for syndication: headlines,
    standfirst, body (HTML and text), byline and authors, section and active topics, the hero
    image and the lead video (while it is publicly visible) with their renditions, and rights
    (copyright holder and notice, usage terms, credit line)."""

    model = Article

    @extend_schema(
        parameters=_parameters("Slug of the article."),
        responses={
            200: OpenApiResponse(NinjsItemSerializer, description="The article in ninjs." + NEGOTIATION)
        },
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)


class VideoNinjsViewSet(SlugRedirectMixin, _Document, viewsets.GenericViewSet):
    """A publicly visible video as an IPTC ninjs 3.3 document, for syndication: title, description,
    transcript, section and active topics, its source, player and thumbnail as renditions and
    association, and rights."""

    model = Video

    @extend_schema(
        parameters=_parameters("Slug of the video."),
        responses={
            200: OpenApiResponse(NinjsItemSerializer, description="The video in ninjs." + NEGOTIATION)
        },
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)


class NinjsDraftView(APIView):
    """An article or video by slug in any state as an IPTC ninjs 3.3 document, for a partner's
    staging or wire system: with an API key that has `preview:read`, whose owner may view such
    items in the admin (or signed in to the admin). A scheduled item carries `embargoedUntil`, its
    publish time; a draft is `pubStatus: withheld`, an expired or archived one `canceled`. What it
    shows with the item (a lead video, embeds) is what the public would see now. Never cached."""

    model = Article  # as_view(model=...) per route
    key_scope = Scope.PREVIEW_READ
    requires_credentials = True
    permission_classes = [KeyScopes, MayViewInAdmin]
    renderer_classes = RENDERERS

    @extend_schema(
        parameters=_parameters("Slug of the item, whatever its state."),
        responses={200: OpenApiResponse(NinjsItemSerializer, description="The item in ninjs." + NEGOTIATION)},
    )
    def get(self, request, slug):
        item = get_object_or_404(ninjs_items(self.model), slug=slug)
        return Response(document(item, request)[0])

    def finalize_response(self, request, response, *args, **kwargs):
        return unstored(super().finalize_response(request, response, *args, **kwargs))

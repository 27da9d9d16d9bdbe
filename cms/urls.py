from django.conf import settings
from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from . import exceptions
from .api import router
from .preview import PreviewView


def index(request):
    """A map for whoever opens the root URL."""
    return JsonResponse(
        {
            "name": "Newsroom Content API",
            "api": request.build_absolute_uri("/api/v1/"),
            "schema": request.build_absolute_uri("/api/schema/"),
            "docs": request.build_absolute_uri("/api/docs/"),
            "redoc": request.build_absolute_uri("/api/redoc/"),
            "admin": request.build_absolute_uri("/admin/"),
        }
    )


def api_index(request):
    return JsonResponse(
        {name: request.build_absolute_uri(f"/api/v1/{prefix}/") for prefix, _, name in router.registry}
    )


urlpatterns = [
    path("", index),
    path("admin/", admin.site.urls),
    path("api/v1/", api_index, name="api-root"),
    path("api/v1/", include(router.urls)),
    path("api/v1/preview/<str:token>/", PreviewView.as_view(), name="preview"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
]
if settings.SERVE_MEDIA:  # production serves uploads from a CDN or object storage instead
    # MEDIA_ROOT is read per request rather than at import, so that tests' temporary one is served.
    urlpatterns.append(
        re_path(r"^media/(?P<path>.*)$", lambda request, path: serve(request, path, settings.MEDIA_ROOT))
    )
# Unknown API URLs answer in the error format even when DEBUG shows HTML pages elsewhere.
urlpatterns.append(re_path(r"^api/", exceptions.not_found))

handler400 = exceptions.bad_request
handler403 = exceptions.permission_denied
handler404 = exceptions.not_found
handler500 = exceptions.server_error

"""Pages behind the links in newsletter emails (plain Django views, not in the API schema), and the
newsletter API routes that the router does not make."""

from django.urls import path

from . import archive, pages, views

urlpatterns = [
    path("newsletters/confirm/<str:token>/", pages.confirm_page, name="newsletter-confirm-page"),
    path("newsletters/unsubscribe/<str:token>/", pages.unsubscribe_page, name="newsletter-unsubscribe-page"),
    path("newsletters/manage/<str:token>/", pages.manage_page, name="newsletter-manage-page"),
    path("newsletters/manage/<str:token>/erase/", pages.erase_page, name="newsletter-erase-page"),
    # Signup and self-service API (newsletters/views.py): about one reader each, so outside the router.
    path(
        "api/v1/newsletters/<slug:slug>/subscriptions/", views.SignupView.as_view(), name="newsletter-signup"
    ),
    path(
        "api/v1/subscriptions/confirm/<str:token>/",
        views.ConfirmView.as_view(),
        name="subscription-confirm",
    ),
    path(
        "api/v1/subscriptions/unsubscribe/<str:token>/",
        views.UnsubscribeView.as_view(),
        name="subscription-unsubscribe",
    ),
    path("api/v1/subscriptions/<str:token>/", views.ManageView.as_view(), name="subscription-manage"),
    # The public archive of sent editions (newsletters/archive.py).
    path(
        "api/v1/newsletters/<slug:slug>/editions/",
        archive.EditionArchiveView.as_view(),
        name="newsletter-edition-list",
    ),
    path(
        "api/v1/newsletters/<slug:slug>/editions/<int:id>/",
        archive.EditionArchiveDetailView.as_view(),
        name="newsletter-edition-detail",
    ),
]

from datetime import timedelta

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Video
from cms.publishing import Status
from cms.roles import EDITOR, REPORTER

from .factories import ArticleFactory, SectionFactory, VideoFactory

pytestmark = pytest.mark.django_db

ARTICLES = reverse("admin:articles_article_changelist")
ADD_ARTICLE = reverse("admin:articles_article_add")
VIDEOS = reverse("admin:articles_video_changelist")
REFUSED = "Only editors can publish, schedule, unpublish or archive, or change publishing times."


def change_url(obj):
    return reverse(f"admin:articles_{obj._meta.model_name}_change", args=[obj.pk])


def posted(page, **typed):
    """What the browser posts from an admin add or change page: every field of the form and of
    its inlines as the page shows it, with `typed` typed in (or crafted: any other names)."""
    context = page.context
    all_forms = [context["adminform"].form]
    for inline in context["inline_admin_formsets"]:
        all_forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in all_forms:
        for field in form:
            widget, value = field.field.widget, field.field.prepare_value(field.value())
            if isinstance(widget, forms.MultiWidget):
                parts = value if isinstance(value, list) else widget.decompress(value)
                for index, (subwidget, part) in enumerate(zip(widget.widgets, parts, strict=True)):
                    data[f"{field.html_name}_{index}"] = subwidget.format_value(part) or ""
            elif isinstance(widget, forms.CheckboxInput):
                if value:
                    data[field.html_name] = "on"
            elif isinstance(field.field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
                data[field.html_name] = [str(item) for item in value or []]
            else:
                data[field.html_name] = "" if value is None else str(value)
    return {**data, **typed}


def new_article(client, **typed):
    page = client.get(ADD_ARTICLE)
    assert page.status_code == 200
    fields = {"headline": "Drones over Kyiv", "slug": "drones-over-kyiv", "section": SectionFactory().pk}
    return client.post(ADD_ARTICLE, posted(page, **fields, **typed))


def edit(client, obj, **typed):
    page = client.get(change_url(obj))
    assert page.status_code == 200
    return client.post(change_url(obj), posted(page, **typed))


def form_errors(response):
    assert response.status_code == 200, "expected the form again, with errors"
    return response.context["adminform"].form.errors


def action(client, changelist, name, *objects):
    return client.post(
        changelist, {"action": name, "index": 0, "_selected_action": [obj.pk for obj in objects]}
    )


def action_names(client, changelist):
    response = client.get(changelist)
    assert response.status_code == 200
    form = response.context["action_form"]
    return set() if form is None else {name for name, _ in form.fields["action"].choices if name}


def permissions_of(group_name):
    group = Group.objects.get(name=group_name)
    return set(group.permissions.values_list("content_type__app_label", "codename"))


# --- The groups ---------------------------------------------------------------------------
def test_migrate_creates_the_reporter_and_editor_groups():
    reporter, editor = permissions_of(REPORTER), permissions_of(EDITOR)

    assert {("articles", "add_article"), ("articles", "change_article"), ("topics", "view_topic")} <= reporter
    assert not {("articles", "publish_article"), ("articles", "publish_video")} & reporter
    # Only the related-content rows they edit inline on a draft.
    assert {codename for _, codename in reporter if codename.startswith("delete_")} == {
        "delete_relatedcontent"
    }
    assert {
        ("articles", "publish_article"),
        ("articles", "publish_video"),
        ("articles", "delete_article"),
        ("topics", "change_section"),
        ("newsletters", "change_newsletter"),
    } <= editor


def test_setup_roles_is_idempotent_and_resets_the_groups():
    before = {name: permissions_of(name) for name in (REPORTER, EDITOR)}
    reporters = Group.objects.get(name=REPORTER)
    reporters.permissions.add(Permission.objects.get(codename="publish_article"))  # granted by hand
    Group.objects.get(name=EDITOR).permissions.clear()

    call_command("setup_roles")
    call_command("setup_roles")

    assert Group.objects.filter(name__in=[REPORTER, EDITOR]).count() == 2
    assert {name: permissions_of(name) for name in (REPORTER, EDITOR)} == before


# --- What a reporter can do ---------------------------------------------------------------
def test_reporter_adds_a_draft(reporter_client):
    response = new_article(reporter_client)

    assert response.status_code == 302, form_errors(response)
    article = Article.objects.get(slug="drones-over-kyiv")
    assert article.status == Status.DRAFT
    assert article.published_at is None


def test_reporter_edits_a_draft(reporter_client):
    article = ArticleFactory(headline="Draft headline")

    response = edit(reporter_client, article, headline="Better headline")

    assert response.status_code == 302, form_errors(response)
    assert Article.objects.get(pk=article.pk).headline == "Better headline"


def test_reporter_sees_the_publishing_fields_read_only(reporter_client):
    page = reporter_client.get(change_url(ArticleFactory()))

    fields = page.context["adminform"].form.fields
    assert not {"status", "published_at", "expires_at"} & set(fields)
    assert '<div class="readonly">Draft</div>' in page.text


# --- A reporter cannot publish by any route -----------------------------------------------
CRAFTED = [
    pytest.param({"status": Status.PUBLISHED}, id="status published"),
    pytest.param({"status": Status.ARCHIVED}, id="status archived"),
    pytest.param({"published_at_0": "2030-01-01", "published_at_1": "09:00:00"}, id="schedule"),
    pytest.param({"expires_at_0": "2030-01-01", "expires_at_1": "09:00:00"}, id="expiry"),
]


@pytest.mark.parametrize("crafted", CRAFTED)
def test_reporter_cannot_publish_from_the_add_form(reporter_client, api_client, crafted):
    response = new_article(reporter_client, **crafted)

    assert form_errors(response)["__all__"][0].startswith(REFUSED)
    assert not Article.objects.exists()
    assert api_client.get("/api/v1/articles/drones-over-kyiv/").status_code == 404


@pytest.mark.parametrize("crafted", CRAFTED)
def test_reporter_cannot_publish_from_the_change_form(reporter_client, crafted):
    article = ArticleFactory(headline="Draft headline")

    response = edit(reporter_client, article, headline="Changed", **crafted)

    assert form_errors(response)["__all__"][0].startswith(REFUSED)
    unchanged = Article.objects.get(pk=article.pk)
    assert (unchanged.headline, unchanged.status, unchanged.published_at) == (
        "Draft headline",
        Status.DRAFT,
        None,
    )


def test_reporter_cannot_publish_a_video_from_its_change_form(reporter_client, api_client):
    video = VideoFactory(slug="carrier-jets")

    response = edit(reporter_client, video, status=Status.PUBLISHED)

    assert form_errors(response)["__all__"][0].startswith(REFUSED)
    assert Video.objects.get(pk=video.pk).status == Status.DRAFT
    assert api_client.get("/api/v1/videos/carrier-jets/").status_code == 404


def test_reporter_is_not_offered_publish_unpublish_or_delete_actions(reporter_client, desk_editor_client):
    ArticleFactory()

    assert action_names(reporter_client, ARTICLES) == set()
    assert action_names(reporter_client, VIDEOS) == set()
    assert action_names(desk_editor_client, ARTICLES) == {
        "publish_selected",
        "unpublish_selected",
        "delete_selected",
    }


def test_reporter_posting_the_publish_action_anyway_publishes_nothing(reporter_client, api_client):
    article = ArticleFactory(slug="breaking")
    video = VideoFactory(slug="carrier-jets")

    action(reporter_client, ARTICLES, "publish_selected", article)
    action(reporter_client, VIDEOS, "publish_selected", video)

    assert Article.objects.get(pk=article.pk).status == Status.DRAFT
    assert Video.objects.get(pk=video.pk).status == Status.DRAFT
    assert api_client.get("/api/v1/articles/breaking/").status_code == 404


def test_reporter_posting_the_unpublish_action_anyway_unpublishes_nothing(reporter_client, api_client):
    article = ArticleFactory(slug="breaking", live=True)

    action(reporter_client, ARTICLES, "unpublish_selected", article)

    assert Article.objects.get(pk=article.pk).status == Status.PUBLISHED
    assert api_client.get("/api/v1/articles/breaking/").status_code == 200


def test_list_editable_status_does_not_let_a_reporter_publish(
    reporter_client, desk_editor_client, monkeypatch
):
    # No admin lists `status` as editable today; should one ever do, reporters still cannot use it.
    monkeypatch.setattr(admin.site._registry[Article], "list_editable", ["status"])
    draft, other = ArticleFactory(), ArticleFactory()

    def bulk_edit(client, article):
        return client.post(
            ARTICLES,
            {
                "form-TOTAL_FORMS": 1,
                "form-INITIAL_FORMS": 1,
                "form-0-id": article.pk,
                "form-0-status": Status.PUBLISHED,
                "_save": "Save",
            },
        )

    assert reporter_client.get(ARTICLES).context["cl"].formset is None
    bulk_edit(reporter_client, draft)
    assert Article.objects.get(pk=draft.pk).status == Status.DRAFT

    assert bulk_edit(desk_editor_client, other).status_code == 302  # the route is real for editors
    assert Article.objects.get(pk=other.pk).status == Status.PUBLISHED


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param({"expires_at_0": "2020-01-01", "expires_at_1": "09:00:00"}, id="expire it"),
        pytest.param({"published_at_0": "2030-01-01", "published_at_1": "09:00:00"}, id="reschedule it"),
        pytest.param({"status": Status.DRAFT}, id="unpublish it"),
        pytest.param({"headline": "Rewritten"}, id="rewrite it"),
    ],
)
def test_reporter_cannot_change_a_live_item(reporter_client, desk_editor_client, typed):
    article = ArticleFactory(slug="breaking", headline="As published", live=True)
    page = desk_editor_client.get(change_url(article))  # the editor's form, with every field

    response = reporter_client.post(change_url(article), posted(page, **typed))

    assert response.status_code == 403
    unchanged = Article.objects.get(pk=article.pk)
    assert (unchanged.headline, unchanged.published_at, unchanged.expires_at) == (
        "As published",
        article.published_at,
        None,
    )
    assert unchanged.is_live


@pytest.mark.parametrize("fields", [{"live": True}, {"status": Status.ARCHIVED}])
def test_reporter_sees_items_that_are_not_drafts_read_only(reporter_client, fields):
    article = ArticleFactory(**fields)

    page = reporter_client.get(change_url(article))

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert 'name="_save"' not in page.text


def test_reporter_cannot_delete(reporter_client):
    article, video = ArticleFactory(), VideoFactory()

    for obj in (article, video):
        delete = reverse(f"admin:articles_{obj._meta.model_name}_delete", args=[obj.pk])
        assert reporter_client.get(delete).status_code == 403
        assert reporter_client.post(delete, {"post": "yes"}).status_code == 403
    action(reporter_client, ARTICLES, "delete_selected", article)

    assert Article.objects.filter(pk=article.pk).exists()
    assert Video.objects.filter(pk=video.pk).exists()


# --- What an editor can do ----------------------------------------------------------------
def test_editor_publishes_from_the_add_form(desk_editor_client, api_client):
    response = new_article(desk_editor_client, status=Status.PUBLISHED)

    assert response.status_code == 302, form_errors(response)
    assert api_client.get("/api/v1/articles/drones-over-kyiv/").status_code == 200


def test_editor_schedules_and_sets_an_expiry(desk_editor_client):
    article = ArticleFactory()
    publish_at = (timezone.now() + timedelta(days=1)).replace(second=0, microsecond=0)
    expire_at = publish_at + timedelta(days=7)

    response = edit(
        desk_editor_client,
        article,
        status=Status.PUBLISHED,
        published_at_0=publish_at.strftime("%Y-%m-%d"),
        published_at_1=publish_at.strftime("%H:%M:%S"),
        expires_at_0=expire_at.strftime("%Y-%m-%d"),
        expires_at_1=expire_at.strftime("%H:%M:%S"),
    )

    assert response.status_code == 302, form_errors(response)
    scheduled = Article.objects.get(pk=article.pk)
    assert (scheduled.state.label, scheduled.published_at, scheduled.expires_at) == (
        "Scheduled",
        publish_at,
        expire_at,
    )


def test_editor_publishes_unpublishes_and_deletes(desk_editor_client, api_client):
    article = ArticleFactory(slug="breaking")
    video = VideoFactory(slug="carrier-jets")

    action(desk_editor_client, ARTICLES, "publish_selected", article)
    action(desk_editor_client, VIDEOS, "publish_selected", video)
    assert api_client.get("/api/v1/articles/breaking/").status_code == 200
    assert api_client.get("/api/v1/videos/carrier-jets/").status_code == 200

    action(desk_editor_client, ARTICLES, "unpublish_selected", article)
    assert api_client.get("/api/v1/articles/breaking/").status_code == 404

    delete = reverse("admin:articles_article_delete", args=[article.pk])
    assert desk_editor_client.post(delete, {"post": "yes"}).status_code == 302
    assert not Article.objects.filter(pk=article.pk).exists()


def test_editor_edits_a_live_item(desk_editor_client):
    article = ArticleFactory(headline="As published", live=True)

    response = edit(desk_editor_client, article, headline="Corrected")

    assert response.status_code == 302, form_errors(response)
    assert Article.objects.get(pk=article.pk).headline == "Corrected"


# --- The API ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "method, article_answers", [("post", 400), ("put", 428), ("patch", 428), ("delete", 428)]
)
def test_api_writes_of_a_logged_in_editor_obey_the_write_rules(
    api_client, desk_editor, method, article_answers
):
    # Articles and videos take writes (editorial/write_api.py), never a status, never without If-Match.
    article, video = ArticleFactory(slug="breaking"), VideoFactory(slug="clip")
    api_client.force_login(desk_editor)

    for kind in ("articles", "videos"):
        url = (
            f"/api/v1/{kind}/"
            if method == "post"
            else f"/api/v1/{kind}/{'breaking' if kind == 'articles' else 'clip'}/"
        )
        answer = getattr(api_client, method)(url, {"status": "published"}, format="json")
        assert answer.status_code == article_answers, (kind, answer.content)
    assert Article.objects.get(pk=article.pk).status == Status.DRAFT
    assert type(video).objects.get(pk=video.pk).status == Status.DRAFT

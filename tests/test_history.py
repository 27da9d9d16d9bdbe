from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Video
from cms.publishing import Status
from editorial.models import Revision

from .factories import (
    ArticleFactory,
    RelatedContentFactory,
    SectionFactory,
    TopicFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db


class ChangeForm(HTMLParser):
    """What a browser posts from an admin change page: every named field of the change form with
    the value shown, so tests edit items the way an editor does, whatever fields the form has."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._in_form = self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("id") or "").endswith("_form"):
            self._in_form = True
        name = attrs.get("name")
        if not self._in_form or (name and "__prefix__" in name):
            return
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if (
                kind in {"checkbox", "radio"}
                and "checked" not in attrs
                or kind in {"submit", "button", "file"}
            ):
                return
            self.data.setdefault(name, []).append(attrs.get("value") or "")
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in attrs:
            self.data[self._select].append(attrs.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            value = self.data[self._textarea][0]
            self.data[self._textarea] = [value[1:] if value.startswith("\n") else value]
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][0] += data


def change_url(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def history_url(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_history", args=[obj.pk])


def revision_url(revision):
    obj = revision.content_object
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_revision", args=[obj.pk, revision.pk])


def restore_url(revision):
    obj = revision.content_object
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_restore", args=[obj.pk, revision.pk])


def save_in_admin(client, obj, related=None, **changes):
    """Open the item's change page, change `changes` (and, given `related`, replace the related
    items with these (position, article) pairs) and press Save."""
    page = client.get(change_url(obj))
    assert page.status_code == 200
    form = ChangeForm()
    form.feed(page.text)
    data = {**form.data, **changes}
    if related is not None:
        existing = int(data["related_items-INITIAL_FORMS"][0])
        for index in range(existing):
            data[f"related_items-{index}-DELETE"] = "on"
        for offset, (position, target) in enumerate(related):
            prefix = f"related_items-{existing + offset}"
            data |= {
                f"{prefix}-position": position,
                f"{prefix}-target_article": target.pk,
                f"{prefix}-article": obj.pk,
            }
        data["related_items-TOTAL_FORMS"] = existing + len(related)
    response = client.post(change_url(obj), data)
    assert response.status_code == 302, getattr(response, "context", None) and response.context.get("errors")
    return response


def revisions(obj):
    return list(Revision.objects.for_object(obj).order_by("pk"))


def test_admin_save_records_a_revision_with_the_user_and_changed_fields(admin_client, editor):
    ukraine, russia = TopicFactory(name="Ukraine"), TopicFactory(name="Russia")
    article = ArticleFactory(headline="Old headline", topics=[ukraine])

    save_in_admin(admin_client, article, headline="New headline", topics=[ukraine.pk, russia.pk])

    before, after = revisions(article)
    assert before.comment == "Before history was kept" and before.user is None
    assert before.snapshot["headline"] == "Old headline"
    assert before.snapshot["topics"] == [ukraine.pk]
    assert after.user == editor
    assert set(after.changed_fields) == {"headline", "topics"}
    assert after.snapshot["headline"] == "New headline"
    assert after.snapshot["topics"] == sorted([ukraine.pk, russia.pk])


def test_a_topic_change_alone_is_a_revision(admin_client):
    article = ArticleFactory()
    save_in_admin(admin_client, article, headline="Edited")
    topic = TopicFactory()

    save_in_admin(admin_client, article, topics=[topic.pk])

    assert revisions(article)[-1].changed_fields == ["topics"]


def test_saving_without_a_change_records_no_revision(admin_client):
    article = ArticleFactory(live=True, topics=[TopicFactory()])
    RelatedContentFactory(article=article, target_video=VideoFactory())

    save_in_admin(admin_client, article)
    save_in_admin(admin_client, article)

    assert revisions(article) == []


def test_adding_an_item_in_the_admin_records_its_first_revision(admin_client, editor):
    section = SectionFactory()
    page = admin_client.get(reverse("admin:articles_video_add"))
    form = ChangeForm()
    form.feed(page.text)
    data = {
        **form.data,
        "title": "Carrier strike group",
        "slug": "carrier-strike-group",
        "section": section.pk,
    }

    response = admin_client.post(reverse("admin:articles_video_add"), data)

    assert response.status_code == 302
    (revision,) = revisions(Video.objects.get())
    assert revision.comment == "Created"
    assert revision.user == editor
    assert {"title", "slug", "section"} <= set(revision.changed_fields)


def test_history_page_lists_revisions_with_who_and_what_changed(admin_client):
    article = ArticleFactory(headline="First")
    save_in_admin(admin_client, article, headline="Second")
    save_in_admin(admin_client, article, standfirst="A new standfirst.")

    response = admin_client.get(history_url(article))

    assert response.status_code == 200
    assert response.text.count('class="revision"') == 3
    assert "editor" in response.text
    assert "Headline" in response.text and "Standfirst" in response.text
    assert "Before history was kept" in response.text


def test_change_form_links_to_the_history(admin_client):
    article = ArticleFactory()

    response = admin_client.get(change_url(article))

    assert f'href="{history_url(article)}"' in response.text


def test_diff_page_shows_old_and_new_values_escaped(admin_client):
    article = ArticleFactory(headline="Calm <b>before</b>")
    ukraine = TopicFactory(name="Ukraine")
    save_in_admin(admin_client, article, headline="<script>alert(1)</script>", topics=[ukraine.pk])
    revision = revisions(article)[-1]

    response = admin_client.get(revision_url(revision))

    assert response.status_code == 200
    assert "Calm &lt;b&gt;before&lt;/b&gt;" in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "<script>alert(1)" not in response.text
    assert "Ukraine" in response.text  # topics by name, not id
    assert "Restore this revision" in response.text
    assert 'name="csrfmiddlewaretoken"' in response.text


def test_restore_brings_back_the_content_and_records_a_new_revision(admin_client, editor):
    ukraine, russia = TopicFactory(name="Ukraine"), TopicFactory(name="Russia")
    teaser, other = ArticleFactory(live=True), ArticleFactory(live=True)
    article = ArticleFactory(
        live=True, headline="Original", body_html="<p>Original text.</p>", topics=[ukraine]
    )
    RelatedContentFactory(article=article, target_article=teaser, position=1)
    first_published_at = Article.objects.get(pk=article.pk).first_published_at
    save_in_admin(
        admin_client,
        article,
        headline="Rewritten",
        body_html="<p>Rewritten text.</p>",
        topics=[russia.pk],
        related=[(5, other)],
    )
    original = revisions(article)[0]

    response = admin_client.post(restore_url(original))

    assert response.status_code == 302
    assert response["Location"] == change_url(article)
    article.refresh_from_db()
    assert article.headline == "Original"
    assert article.body_html == "<p>Original text.</p>"
    assert list(article.topics.all()) == [ukraine]
    assert [(item.position, item.target_article) for item in article.related_items.all()] == [(1, teaser)]
    assert article.first_published_at == first_published_at
    assert article.status == Status.PUBLISHED
    latest = revisions(article)[-1]
    assert latest.comment == f"Restored revision {original.pk}"
    assert latest.user == editor
    assert {"headline", "body_html", "topics", "related_items"} <= set(latest.changed_fields)


def test_restore_keeps_the_publishing_state_and_first_publish_time(admin_client):
    article = ArticleFactory(status=Status.DRAFT, headline="Draft headline")
    save_in_admin(admin_client, article, headline="Ready")
    admin_client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "publish_selected", "_selected_action": [article.pk]},
    )
    article.refresh_from_db()
    published = article.first_published_at, article.published_at

    response = admin_client.post(restore_url(revisions(article)[0]))

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.headline == "Draft headline"
    assert article.status == Status.PUBLISHED
    assert (article.first_published_at, article.published_at) == published


def test_restore_needs_a_post(admin_client):
    article = ArticleFactory(headline="Before")
    save_in_admin(admin_client, article, headline="After")

    response = admin_client.get(restore_url(revisions(article)[0]))

    assert response.status_code == 405
    assert Article.objects.get(pk=article.pk).headline == "After"


def test_restore_needs_the_csrf_token(editor):
    article = ArticleFactory(headline="Before")
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    save_in_admin(client, article, headline="After")  # the change form carries its token

    response = client.post(restore_url(revisions(article)[0]))

    assert response.status_code == 403
    assert Article.objects.get(pk=article.pk).headline == "After"


def test_restore_needs_the_change_permission(admin_client, django_user_model):
    article = ArticleFactory(headline="Before")
    save_in_admin(admin_client, article, headline="After")
    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(*_permissions("view_article"))
    client = Client()
    client.force_login(viewer)
    revision = revisions(article)[0]

    page = client.get(revision_url(revision))
    response = client.post(restore_url(revision))

    assert page.status_code == 200
    assert "Restore this revision" not in page.text
    assert response.status_code == 403
    assert Article.objects.get(pk=article.pk).headline == "After"


def _permissions(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="articles", codename__in=codenames)


@pytest.mark.parametrize("deleted", ["topic", "related video"])
def test_restore_of_a_revision_whose_objects_were_deleted_fails_cleanly(admin_client, deleted):
    topic, video = TopicFactory(name="Gone soon"), VideoFactory(live=True)
    article = ArticleFactory(headline="Before", topics=[topic])
    RelatedContentFactory(article=article, target_video=video)
    save_in_admin(admin_client, article, headline="After", topics=[], related=[])
    (topic if deleted == "topic" else video).delete()

    response = admin_client.post(restore_url(revisions(article)[0]), follow=True)

    assert response.status_code == 200
    text = " ".join(str(message) for message in response.context["messages"])
    assert "deleted" in text and "Nothing was restored" in text
    assert ("topic #" if deleted == "topic" else "video #") in text
    article.refresh_from_db()
    assert article.headline == "After"
    assert not article.topics.exists() and not article.related_items.exists()
    assert len(revisions(article)) == 2


def test_restore_of_a_slug_another_item_has_taken_fails_cleanly(admin_client):
    article = ArticleFactory(slug="kursk")
    save_in_admin(admin_client, article, slug="kursk-offensive", headline="Renamed")
    ArticleFactory(slug="kursk")

    response = admin_client.post(restore_url(revisions(article)[0]), follow=True)

    assert response.status_code == 200
    assert "already exists" in " ".join(str(message) for message in response.context["messages"])
    assert Article.objects.get(pk=article.pk).slug == "kursk-offensive"


def test_restoring_the_current_state_changes_nothing(admin_client):
    article = ArticleFactory(headline="Before")
    save_in_admin(admin_client, article, headline="After")

    response = admin_client.post(restore_url(revisions(article)[-1]), follow=True)

    assert "already matches" in " ".join(str(message) for message in response.context["messages"])
    assert len(revisions(article)) == 2


def test_publish_and_unpublish_actions_record_revisions(admin_client, editor):
    drafts = ArticleFactory.create_batch(2, status=Status.DRAFT)
    live = ArticleFactory(live=True)
    changelist = reverse("admin:articles_article_changelist")

    admin_client.post(
        f"{changelist}?status__exact=draft",
        {"action": "publish_selected", "_selected_action": [item.pk for item in [*drafts, live]]},
    )

    for draft in drafts:
        baseline, published = revisions(draft)
        assert baseline.snapshot["status"] == Status.DRAFT
        assert published.comment == "Published" and published.user == editor
        assert set(published.changed_fields) == {"status", "published_at"}
    assert revisions(live) == []  # already live: nothing changed

    admin_client.post(changelist, {"action": "unpublish_selected", "_selected_action": [drafts[0].pk]})

    assert revisions(drafts[0])[-1].comment == "Unpublished"
    assert revisions(drafts[0])[-1].changed_fields == ["status"]


def test_video_history_and_restore(admin_client):
    video = VideoFactory(title="Before", duration=timedelta(minutes=3))
    save_in_admin(admin_client, video, title="After", duration="00:04:00")

    admin_client.post(restore_url(revisions(video)[0]))

    video.refresh_from_db()
    assert (video.title, video.duration) == ("Before", timedelta(minutes=3))


def test_revisions_and_slug_redirects_are_listed_read_only(admin_client):
    article = ArticleFactory(slug="old", headline="Before")
    save_in_admin(admin_client, article, slug="new", headline="After")

    revisions_page = admin_client.get(reverse("admin:editorial_revision_changelist") + "?q=Before")
    redirects_page = admin_client.get(reverse("admin:articles_slugredirect_changelist") + "?q=old")
    revision_page = admin_client.get(
        reverse("admin:editorial_revision_change", args=[revisions(article)[0].pk])
    )

    assert revisions_page.status_code == redirects_page.status_code == revision_page.status_code == 200
    assert redirects_page.context["cl"].result_count == 1
    assert "After" in admin_client.get(reverse("admin:editorial_revision_changelist")).text
    assert admin_client.get(reverse("admin:editorial_revision_add")).status_code == 403
    assert 'name="_save"' not in revision_page.text


def test_publish_time_in_the_past_is_kept_in_whole_seconds(admin_client):
    # The admin shows and posts whole seconds; a re-save that drops microseconds is no change.
    article = ArticleFactory(live=True, published_at=timezone.now().replace(microsecond=123456))

    save_in_admin(admin_client, article)

    assert revisions(article) == []


def test_a_change_made_outside_the_admin_is_kept_before_the_next_admin_change(admin_client):
    article = ArticleFactory(headline="One")
    save_in_admin(admin_client, article, headline="Two")
    Article.objects.filter(pk=article.pk).update(standfirst="Changed by a script.")

    save_in_admin(admin_client, article, headline="Three")

    outside, latest = revisions(article)[-2:]
    assert outside.comment == "Changed outside the admin" and outside.user is None
    assert outside.changed_fields == ["standfirst"]
    assert latest.changed_fields == ["headline"]

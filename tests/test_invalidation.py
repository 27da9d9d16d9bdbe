"""One invalidation rule, registered by the apps (cms.caching.register): a model that feeds a
cached response without being registered is an error, no write touches the article table, and
the release versions everything kept (cms/release.py)."""

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cms import caching
from cms.release import configured_release, source_release

from .factories import ArticleFactory, AuthorFactory, ImageFactory, TopicFactory, VideoFactory

pytestmark = pytest.mark.django_db

# Models no public cached response shows, each with the reason.
NOT_SHOWN = {
    "articles.SlugRedirect": "answered as a redirect, which is cached for a bounded time only",
    "editorial.Revision": "the admin's history",
    "editorial.ChangeLog": "/changes/ is no-cache and never stored",
    "editorial.IdempotentRequest": "replays of the write API's creates, private to their caller",
    "partners.APIKey": "credentials: answers to them are private",
    "newsletters.Subscriber": "private",
    "newsletters.Subscription": "private",
    "newsletters.Erasure": "private",
    "newsletters.Delivery": "private",
}
OUR_APPS = ("articles", "topics", "editorial", "newsletters", "partners")


def test_every_model_of_our_apps_is_registered_or_named_as_not_shown():
    undecided = [
        model._meta.label
        for app in OUR_APPS
        for model in apps.get_app_config(app).get_models()
        if not caching.registered(model) and model._meta.label not in NOT_SHOWN
    ]
    assert undecided == []
    assert not any(caching.registered(apps.get_model(label)) for label in NOT_SHOWN)


def test_a_model_shown_in_a_response_but_not_registered_fails(api_client, monkeypatch):
    ArticleFactory(live=True, hero_image=ImageFactory())
    registry = {label: entry for label, entry in caching._registry.items() if label != "articles.Image"}
    monkeypatch.setattr(caching, "_registry", registry)
    monkeypatch.setattr(caching, "_plans", {})

    with pytest.raises(ImproperlyConfigured, match="articles.Image is shown in a cached response"):
        api_client.get("/api/v1/articles/")


@pytest.mark.parametrize(
    "change",
    [
        lambda objects: TopicFactory._meta.model.objects.get(pk=objects["topic"].pk).save(),
        lambda objects: objects["article"].section.save(),
        lambda objects: objects["author"].save(),
        lambda objects: objects["image"].save(),
        lambda objects: objects["video"].save(),
    ],
    ids=["topic", "section", "author", "image", "video"],
)
def test_no_write_of_what_articles_show_writes_or_scans_the_article_table(api_client, change):
    topic, author, image, video = TopicFactory(), AuthorFactory(), ImageFactory(), VideoFactory(live=True)
    article = ArticleFactory(live=True, topics=[topic], authors=[author], hero_image=image, lead_video=video)
    api_client.get("/api/v1/articles/")
    api_client.get(f"/api/v1/articles/{article.slug}/")

    with CaptureQueriesContext(connection) as queries:
        change({"topic": topic, "author": author, "image": image, "video": video, "article": article})

    for query in queries.captured_queries:
        sql = query["sql"].upper()
        assert not sql.startswith("UPDATE") or 'ARTICLES_ARTICLE"' not in sql.split(" SET ")[0], sql
        assert " LIKE " not in sql, sql


def test_the_release_changes_with_any_source_file(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "richtext.py").write_text("def blocks_to_html(blocks): return ''\n")
    (tmp_path / "app" / "templates").mkdir()
    (tmp_path / "app" / "templates" / "feed.xml").write_text("<rss/>")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_it.py").write_text("")
    first = source_release(tmp_path)

    (tmp_path / "tests" / "test_it.py").write_text("assert True\n")  # not code that renders
    assert source_release(tmp_path) == first
    (tmp_path / "app" / "richtext.py").write_text("def blocks_to_html(blocks): return '<p/>'\n")
    second = source_release(tmp_path)
    assert second != first
    (tmp_path / "app" / "templates" / "feed.xml").write_text("<rss version='2.0'/>")
    assert source_release(tmp_path) not in (first, second)


def test_renaming_a_busy_topic_purges_its_key_not_every_item_tagged(
    api_client, django_assert_max_num_queries
):
    topic = TopicFactory(name="Before")
    articles = [ArticleFactory(live=True, topics=[topic]) for _ in range(3)]
    api_client.get(f"/api/v1/articles/{articles[0].slug}/")
    topic = type(topic).objects.get(pk=topic.pk)

    topic.name = "After"
    with django_assert_max_num_queries(2):  # the row, the next scheduled change: not what it is on
        topic.save()
    assert api_client.get(f"/api/v1/articles/{articles[0].slug}/").json()["topics"][0]["name"] == "After"

    topic.is_active = False  # hidden: every item tagged with it changes, named or not
    with django_assert_max_num_queries(4):  # and the articles and videos tagged with it
        topic.save()
    assert api_client.get(f"/api/v1/articles/{articles[1].slug}/").json()["topics"] == []


def test_the_settings_that_shape_output_are_part_of_the_release():
    here = configured_release("code", ["The Times", "https://www.example.com"])

    assert configured_release("code", ["The Times", "https://www.example.com"]) == here
    assert configured_release("code", ["The Times", "https://news.example.org"]) != here
    assert configured_release("other-code", ["The Times", "https://www.example.com"]) != here

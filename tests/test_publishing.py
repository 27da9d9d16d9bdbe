from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article
from cms.publishing import State, Status, publish, unpublish

from .factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_state_reflects_status_and_times():
    now = timezone.now()

    assert ArticleFactory(status=Status.DRAFT).state == State.DRAFT
    assert ArticleFactory(status=Status.ARCHIVED).state == State.ARCHIVED
    assert ArticleFactory(live=True).state == State.LIVE
    assert (
        ArticleFactory(status=Status.PUBLISHED, published_at=now + timedelta(minutes=5)).state
        == State.SCHEDULED
    )
    assert ArticleFactory(live=True, expires_at=now - timedelta(seconds=1)).state == State.EXPIRED


def test_publish_makes_items_live_now_and_counts_only_changes():
    now = timezone.now()
    already_live = ArticleFactory(live=True)
    draft = ArticleFactory(status=Status.DRAFT)
    scheduled = ArticleFactory(status=Status.PUBLISHED, published_at=now + timedelta(days=1))
    expired = ArticleFactory(live=True, expires_at=now - timedelta(hours=1))

    changed = publish(queryset=Article.objects.all())

    assert changed == 3
    assert {item.pk for item in Article.objects.published()} == {
        already_live.pk,
        draft.pk,
        scheduled.pk,
        expired.pk,
    }


def test_first_published_time_survives_unpublish_and_republish():
    article = ArticleFactory(status=Status.DRAFT)
    publish(queryset=Article.objects.filter(pk=article.pk))
    first = Article.objects.get(pk=article.pk).first_published_at

    unpublish(queryset=Article.objects.filter(pk=article.pk))
    publish(queryset=Article.objects.filter(pk=article.pk))

    article.refresh_from_db()
    assert first is not None
    assert article.first_published_at == first
    assert article.state == State.LIVE


def test_updated_time_moves_only_when_a_published_item_changes_what_readers_see(api_client):
    article = ArticleFactory(status=Status.DRAFT, headline="Draft")
    created = Article.objects.get(pk=article.pk).updated_at

    article = Article.objects.get(pk=article.pk)
    article.headline = "Still a draft"
    article.save()
    assert Article.objects.get(pk=article.pk).updated_at == created  # readers saw nothing

    publish(queryset=Article.objects.filter(pk=article.pk))
    published = Article.objects.get(pk=article.pk)
    assert published.updated_at == created  # going live is first_published_at's story

    published.expires_at = timezone.now() + timedelta(days=30)
    published.save()
    assert Article.objects.get(pk=article.pk).updated_at == created  # publishing fields are not content

    published.body_html = "<p>A correction.</p>"
    published.save()
    corrected = Article.objects.get(pk=article.pk)
    assert corrected.updated_at > created

    served = api_client.get(f"/api/v1/articles/{article.slug}/").json()
    assert served["updated_at"] == corrected.updated_at.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    ("published_offset", "expires_offset", "visible"),
    [
        (timedelta(0), None, True),  # goes live exactly at its publish time
        (timedelta(microseconds=1), None, False),  # one microsecond early: still scheduled
        (-timedelta(hours=1), timedelta(0), False),  # hidden exactly at its expiry time
        (-timedelta(hours=1), timedelta(microseconds=1), True),  # one microsecond before expiry
    ],
)
def test_visibility_at_the_boundary_times(api_client, monkeypatch, published_offset, expires_offset, visible):
    instant = timezone.now()
    article = ArticleFactory(
        status=Status.PUBLISHED,
        published_at=instant + published_offset,
        expires_at=None if expires_offset is None else instant + expires_offset,
    )
    monkeypatch.setattr("cms.publishing.timezone.now", lambda: instant)

    detail = api_client.get(f"/api/v1/articles/{article.slug}/")
    listed = api_client.get("/api/v1/articles/").json()["results"]

    assert (detail.status_code == 200) is visible
    assert ([item["slug"] for item in listed] == [article.slug]) is visible
    assert (Article.objects.get(pk=article.pk).state == State.LIVE) is visible


def test_rescheduling_before_going_live_moves_the_first_publication_time():
    now = timezone.now()
    article = ArticleFactory(status=Status.PUBLISHED, published_at=now + timedelta(days=2))

    article.published_at = now + timedelta(days=1)
    article.save()

    assert Article.objects.get(pk=article.pk).first_published_at == now + timedelta(days=1)

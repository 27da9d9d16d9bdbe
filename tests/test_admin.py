from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, RelatedContent
from cms.publishing import Status

from .factories import (
    ArticleFactory,
    AuthorFactory,
    ImageFactory,
    NewsletterFactory,
    RelatedContentFactory,
    SectionFactory,
    TopicFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db

ARTICLES = reverse("admin:articles_article_changelist")
ADD_ARTICLE = reverse("admin:articles_article_add")


def article_form(*, section, related=(), **fields):
    """What the article add/change form posts: every field, and the related-content inline
    (rows of existing items, with an "id", first)."""
    data = {
        "headline": "Drones over Kyiv",
        "slug": "drones-over-kyiv",
        "standfirst": "",
        "body_html": "",
        "section": section.pk,
        "hero_image": "",
        "lead_video": "",
        "status": Status.DRAFT,
        "published_at_0": "",
        "published_at_1": "",
        "expires_at_0": "",
        "expires_at_1": "",
        "seo_title": "",
        "seo_description": "",
        "canonical_url": "",
        "related_items-TOTAL_FORMS": len(related),
        "related_items-INITIAL_FORMS": sum("id" in row for row in related),
        "related_items-MIN_NUM_FORMS": 0,
        "related_items-MAX_NUM_FORMS": 1000,
        **fields,
    }
    for index, row in enumerate(related):
        for name in ["id", "position", "target_article", "target_video"]:
            data[f"related_items-{index}-{name}"] = row.get(name, "")
    return data


def changelist_slugs(response):
    assert response.status_code == 200
    return {article.slug for article in response.context["cl"].result_list}


def filter_link(response, title, display):
    """The query string of a link in the changelist's filter sidebar, as an editor clicks it."""
    cl = response.context["cl"]
    (spec,) = [spec for spec in cl.filter_specs if spec.title == title]
    (choice,) = [choice for choice in spec.choices(cl) if choice["display"] == display]
    return choice["query_string"]


def form_errors(response):
    assert response.status_code == 200, "expected the form again, with errors"
    return response.context["adminform"].form.errors


def inline_errors(response):
    assert response.status_code == 200, "expected the form again, with errors"
    (formset,) = [inline.formset for inline in response.context["inline_admin_formsets"]]
    return [message for form in formset.forms for message in form.non_field_errors()]


def select_action(action, *objects):
    return {"action": action, "_selected_action": [obj.pk for obj in objects]}


# --- Every model: list, add and change pages ------------------------------------------------
@pytest.mark.parametrize(
    "factory",
    [
        SectionFactory,
        TopicFactory,
        AuthorFactory,
        ImageFactory,
        VideoFactory,
        ArticleFactory,
        NewsletterFactory,
    ],
)
def test_every_model_has_list_add_and_change_pages(admin_client, factory):
    obj = factory()
    opts = obj._meta

    changelist = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    add = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    change = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))

    assert changelist.status_code == 200
    assert list(changelist.context["cl"].result_list) == [obj]
    assert add.status_code == 200
    assert change.status_code == 200


def test_admin_site_is_titled_for_the_newsroom(admin_client):
    response = admin_client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert "Newsroom CMS" in response.text


def test_image_list_and_form_show_a_thumbnail_preview(admin_client):
    image = ImageFactory(alt_text="Soldiers on parade")

    changelist = admin_client.get(reverse("admin:articles_image_changelist"))
    change = admin_client.get(reverse("admin:articles_image_change", args=[image.pk]))

    thumbnail = f'<img src="{image.file.url}" alt="Soldiers on parade"'
    assert thumbnail in changelist.text
    assert thumbnail in change.text
    assert "64 × 48" in changelist.text


# --- Article changelist: search, filters, state column ---------------------------------------
def test_article_search_matches_headline_standfirst_and_slug(admin_client):
    ArticleFactory(headline="Drones over Kyiv", slug="a")
    ArticleFactory(standfirst="Drones were seen at dawn.", slug="b")
    ArticleFactory(slug="drones-c")
    ArticleFactory(headline="Budget day", slug="d")

    assert changelist_slugs(admin_client.get(ARTICLES, {"q": "drones"})) == {"a", "b", "drones-c"}


def test_article_status_filter(admin_client):
    ArticleFactory(slug="draft", status=Status.DRAFT)
    ArticleFactory(slug="live", live=True)

    assert changelist_slugs(admin_client.get(ARTICLES, {"status__exact": "published"})) == {"live"}


def test_article_section_filter(admin_client):
    news = SectionFactory(slug="news")
    ArticleFactory(slug="in-news", section=news)
    ArticleFactory(slug="elsewhere")

    assert changelist_slugs(admin_client.get(ARTICLES, {"section__id__exact": news.pk})) == {"in-news"}


def test_article_topic_filter(admin_client):
    ukraine = TopicFactory(name="Ukraine")
    ArticleFactory(slug="tagged", topics=[ukraine, TopicFactory()])
    ArticleFactory(slug="untagged")

    assert changelist_slugs(admin_client.get(ARTICLES, {"topics__id__exact": ukraine.pk})) == {"tagged"}


def test_article_publish_time_filter_and_date_hierarchy(admin_client):
    now = timezone.now()
    ArticleFactory(slug="recent", status=Status.PUBLISHED, published_at=now - timedelta(days=2))
    ArticleFactory(slug="old", status=Status.PUBLISHED, published_at=now - timedelta(days=400))
    ArticleFactory(slug="undated")
    changelist = admin_client.get(ARTICLES)

    past_week = filter_link(changelist, "publish time", "Past 7 days")
    no_date = filter_link(changelist, "publish time", "No date")
    old_year = {"published_at__year": (now - timedelta(days=400)).year}

    assert changelist_slugs(admin_client.get(ARTICLES + past_week)) == {"recent"}
    assert changelist_slugs(admin_client.get(ARTICLES + no_date)) == {"undated"}
    assert changelist_slugs(admin_client.get(ARTICLES, old_year)) == {"old"}


def test_article_list_puts_undated_drafts_first_then_newest(admin_client):
    now = timezone.now()
    ArticleFactory(slug="older", status=Status.PUBLISHED, published_at=now - timedelta(days=2))
    ArticleFactory(slug="newer", status=Status.PUBLISHED, published_at=now - timedelta(days=1))
    ArticleFactory(slug="draft")

    response = admin_client.get(ARTICLES)

    assert [article.slug for article in response.context["cl"].result_list] == ["draft", "newer", "older"]


@pytest.mark.parametrize(
    ("fields", "state"),
    [
        ({"status": Status.DRAFT}, "Draft"),
        ({"status": Status.ARCHIVED}, "Archived"),
        ({"live": True}, "Live"),
        ({"status": Status.PUBLISHED, "published_at": timezone.now() + timedelta(days=1)}, "Scheduled"),
        ({"live": True, "expires_at": timezone.now() - timedelta(minutes=1)}, "Expired"),
    ],
)
def test_article_list_shows_whether_each_article_is_live(admin_client, fields, state):
    ArticleFactory(**fields)

    response = admin_client.get(ARTICLES)

    assert f'<td class="field-state">{state}</td>' in response.text


def test_article_list_queries_do_not_grow_with_rows(admin_client):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(ARTICLES).status_code == 200
        return len(queries)

    ArticleFactory(topics=[TopicFactory()])
    one_row = count_queries()
    ArticleFactory.create_batch(10, topics=[TopicFactory()], live=True)

    assert count_queries() == one_row


def test_topic_autocomplete_for_articles_returns_matching_topics(admin_client):
    ukraine = TopicFactory(name="Ukraine war")
    TopicFactory(name="Royal Navy")

    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "articles", "model_name": "article", "field_name": "topics", "term": "ukr"},
    )

    assert response.status_code == 200
    assert response.json()["results"] == [{"id": str(ukraine.pk), "text": "Ukraine war"}]


@pytest.mark.parametrize(
    ("field_name", "factory", "term"),
    [
        ("authors", AuthorFactory, "Author"),
        ("lead_video", VideoFactory, "Video"),
        ("hero_image", ImageFactory, "Picture"),
        ("section", SectionFactory, "Section"),
    ],
)
def test_article_autocompletes_find_related_objects(admin_client, field_name, factory, term):
    obj = factory()

    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "articles", "model_name": "article", "field_name": field_name, "term": term},
    )

    assert response.status_code == 200
    assert [result["id"] for result in response.json()["results"]] == [str(obj.pk)]


# --- The newsletter signup block ---------------------------------------------------------------
APP_OF = {"article": "articles", "section": "topics"}


@pytest.mark.parametrize("model_name", ["article", "section"])
def test_newsletter_autocomplete_of_articles_and_sections(admin_client, model_name):
    newsletter = NewsletterFactory(name="The Daily Briefing")
    NewsletterFactory(name="Weekend Reads")

    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": APP_OF[model_name],
            "model_name": model_name,
            "field_name": "newsletter",
            "term": "daily",
        },
    )

    assert response.status_code == 200
    assert [result["id"] for result in response.json()["results"]] == [str(newsletter.pk)]


def test_reporter_picks_the_newsletter_of_a_draft_from_a_plain_list(reporter_client):
    newsletter = NewsletterFactory(name="The Daily Briefing")
    # Reporters may not see the newsletters' admin (subscriber figures), which an autocomplete asks.
    page = reporter_client.get(ADD_ARTICLE)
    choices = page.context["adminform"].form.fields["newsletter"].choices

    response = reporter_client.post(
        ADD_ARTICLE, article_form(section=SectionFactory(), newsletter=newsletter.pk)
    )

    assert response.status_code == 302, form_errors(response)
    assert [label for _, label in choices] == ["---------", "The Daily Briefing"]
    assert "admin-autocomplete" not in str(page.context["adminform"].form["newsletter"])
    assert Article.objects.get(slug="drones-over-kyiv").newsletter == newsletter


def test_section_default_newsletter_reaches_its_articles(admin_client, api_client):
    section = SectionFactory(name="News", slug="news")
    article = ArticleFactory(live=True, section=section)
    newsletter = NewsletterFactory(slug="the-daily-briefing")
    assert api_client.get(f"/api/v1/articles/{article.slug}/").json()["newsletter"] is None

    response = admin_client.post(
        reverse("admin:topics_section_change", args=[section.pk]),
        {"name": "News", "slug": "news", "description": "", "position": 0, "newsletter": newsletter.pk},
    )

    assert response.status_code == 302
    served = api_client.get(f"/api/v1/articles/{article.slug}/").json()["newsletter"]
    assert served["slug"] == "the-daily-briefing"


# --- Publish and unpublish actions ------------------------------------------------------------
def test_publish_and_unpublish_actions_change_what_the_api_serves(admin_client, api_client):
    article = ArticleFactory(slug="breaking", status=Status.DRAFT)
    ArticleFactory(slug="other-draft", status=Status.DRAFT)
    detail = "/api/v1/articles/breaking/"
    assert api_client.get(detail).status_code == 404

    published = admin_client.post(ARTICLES, select_action("publish_selected", article), follow=True)

    assert [str(message) for message in published.context["messages"]] == ["1 article published."]
    assert api_client.get(detail).status_code == 200
    assert Article.objects.get(slug="other-draft").status == Status.DRAFT

    unpublished = admin_client.post(ARTICLES, select_action("unpublish_selected", article), follow=True)

    assert [str(message) for message in unpublished.context["messages"]] == ["1 article unpublished."]
    assert Article.objects.get(slug="breaking").status == Status.DRAFT
    assert api_client.get(detail).status_code == 404


def test_unpublishing_drafts_reports_that_nothing_changed(admin_client):
    drafts = ArticleFactory.create_batch(2, status=Status.DRAFT)

    response = admin_client.post(ARTICLES, select_action("unpublish_selected", *drafts), follow=True)

    assert [str(message) for message in response.context["messages"]] == ["0 articles unpublished."]


def test_video_publish_action_makes_the_video_public(admin_client, api_client):
    video = VideoFactory(slug="carrier-jets")
    changelist = reverse("admin:articles_video_changelist")

    response = admin_client.post(changelist, select_action("publish_selected", video), follow=True)

    assert [str(message) for message in response.context["messages"]] == ["1 video published."]
    assert api_client.get("/api/v1/videos/carrier-jets/").status_code == 200


# --- Article form: body and related content ---------------------------------------------------
def test_article_change_page_renders_every_fieldset_and_the_inline(admin_client):
    article = ArticleFactory(live=True, topics=[TopicFactory()], authors=[AuthorFactory()])

    response = admin_client.get(reverse("admin:articles_article_change", args=[article.pk]))

    assert response.status_code == 200
    fieldsets = [fieldset.name for fieldset in response.context["adminform"]]
    assert fieldsets == [
        None,
        "Taxonomy",
        "Media",
        "Newsletter signup",
        "Publishing",
        "Live coverage",
        "SEO",
        "Rights",
        "Corrections",
    ]
    assert "related_items-TOTAL_FORMS" in response.text
    assert "First paragraph." in response.text


def test_empty_body_saves_as_no_blocks(admin_client):
    response = admin_client.post(ADD_ARTICLE, article_form(section=SectionFactory(), body_html=""))

    assert response.status_code == 302
    assert Article.objects.get().body == []


def test_body_is_edited_in_the_rich_text_editor(admin_client):
    article = ArticleFactory(body_html="<h2>Why</h2><p>Because <strong>now</strong>.</p>")

    response = admin_client.get(reverse("admin:articles_article_change", args=[article.pk]))

    config = response.context["adminform"].form["body_html"].field.widget.get_config()
    assert "data-django-prose-editor-configurable" in response.text
    assert {"Bold", "Italic", "Link", "Heading", "BulletList", "Blockquote", "ContentEmbed"} <= set(
        config["extensions"]
    )
    assert any(module.endswith("articles/content-embed.js") for module in config["js_modules"])
    assert "&lt;h2&gt;Why&lt;/h2&gt;" in response.text  # the stored HTML, in the editor's textarea


@pytest.mark.parametrize(
    "row",
    [
        pytest.param({"position": 1}, id="neither target"),
        pytest.param({"position": 1, "target_article": "other", "target_video": "video"}, id="both targets"),
    ],
)
def test_related_item_needs_exactly_one_target(admin_client, row):
    article = ArticleFactory()
    targets = {"other": ArticleFactory().pk, "video": VideoFactory().pk}
    row = {name: targets.get(value, value) for name, value in row.items()}
    url = reverse("admin:articles_article_change", args=[article.pk])

    response = admin_client.post(url, article_form(section=article.section, slug=article.slug, related=[row]))

    assert inline_errors(response) == ["Pick either an article or a video."]
    assert not RelatedContent.objects.exists()


def test_article_cannot_be_related_to_itself(admin_client):
    article = ArticleFactory()
    url = reverse("admin:articles_article_change", args=[article.pk])
    row = {"position": 1, "target_article": article.pk}

    response = admin_client.post(url, article_form(section=article.section, slug=article.slug, related=[row]))

    assert inline_errors(response) == ["An article cannot be related to itself."]
    assert not RelatedContent.objects.exists()


def test_same_video_twice_in_related_content_is_an_error(admin_client):
    article = ArticleFactory()
    video = VideoFactory()
    rows = [{"position": 1, "target_video": video.pk}, {"position": 2, "target_video": video.pk}]
    url = reverse("admin:articles_article_change", args=[article.pk])

    response = admin_client.post(url, article_form(section=article.section, slug=article.slug, related=rows))

    assert response.status_code == 200
    (formset,) = [inline.formset for inline in response.context["inline_admin_formsets"]]
    assert formset.non_form_errors() == ["Please correct the duplicate data for target_video."]
    assert not RelatedContent.objects.exists()


def test_editing_an_article_keeps_and_adds_related_items(admin_client):
    article = ArticleFactory()
    existing = RelatedContentFactory(article=article, position=1, target_video=VideoFactory())
    other = ArticleFactory()
    rows = [
        {"id": existing.pk, "position": 1, "target_video": existing.target_video_id},
        {"position": 2, "target_article": other.pk},
    ]
    url = reverse("admin:articles_article_change", args=[article.pk])

    response = admin_client.post(url, article_form(section=article.section, slug=article.slug, related=rows))

    assert response.status_code == 302
    assert [item.target for item in article.related_items.all()] == [existing.target_video, other]


# --- The editor's story -----------------------------------------------------------------------
def test_editor_creates_and_publishes_an_article_with_a_lead_video_and_topics(admin_client, api_client):
    section = SectionFactory(name="News", slug="news")
    video = VideoFactory(live=True, slug="north-korean-soldiers", title="Watch: North Korean soldiers")
    related_video = VideoFactory(live=True, slug="hms-trent-jamaica")
    topics = [
        TopicFactory(name="Russia", slug="russia"),
        TopicFactory(name="North Korea", slug="north-korea"),
    ]
    body = '<p>Troops have been <a href="https://example.com/report">deployed</a>.</p>'

    response = admin_client.post(
        ADD_ARTICLE,
        article_form(
            section=section,
            headline="Russia deploys North Korean soldiers",
            slug="russia-deploys-north-korean-soldiers",
            standfirst="Thousands of troops.",
            body_html=body,
            topics=[topic.pk for topic in topics],
            lead_video=video.pk,
            status=Status.PUBLISHED,
            related=[{"position": 1, "target_video": related_video.pk}],
        ),
    )

    assert response.status_code == 302, form_errors(response)
    api = api_client.get("/api/v1/articles/russia-deploys-north-korean-soldiers/")
    assert api.status_code == 200
    article = api.json()
    assert article["lead_video"]["slug"] == "north-korean-soldiers"
    assert {topic["slug"] for topic in article["topics"]} == {"russia", "north-korea"}
    assert article["section"]["slug"] == "news"
    assert article["body"][0]["text"] == "Troops have been deployed."
    assert article["body"][0]["spans"][1] == {
        "text": "deployed",
        "marks": [],
        "href": "https://example.com/report",
    }
    assert [item["slug"] for item in article["related"]] == ["hms-trent-jamaica"]


def test_control_characters_pasted_into_an_article_are_not_saved(admin_client, api_client):
    fields = {
        "headline": "Troops\x0b moved\x1b[31m",
        "standfirst": "On\x08 Kursk\x7f",  # (a NUL is refused by the form itself)
        "body_html": "<p>Line\x0c one</p>",
        "status": Status.PUBLISHED,
        "published_at_0": "2026-01-01",
        "published_at_1": "08:00:00",
    }
    response = admin_client.post(ADD_ARTICLE, article_form(section=SectionFactory(), **fields))
    assert response.status_code == 302, form_errors(response)

    article = api_client.get("/api/v1/articles/drones-over-kyiv/").json()
    assert (article["headline"], article["standfirst"]) == ("Troops moved[31m", "On Kursk")
    assert article["body_html"] == "<p>Line one</p>"

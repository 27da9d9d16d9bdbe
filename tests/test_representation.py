"""Responses match the OpenAPI schema exactly, with and without ?fields= and ?expand=. The hot
serializers build their JSON by hand for speed; these tests keep them true to their declarations."""

import pytest
from openapi_schema_validator import OAS31Validator
from rest_framework.test import APIClient

from articles.models import Correction, LivePost

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

ONLY_WITH_EXPAND = {"ArticleList": {"lead_video", "related"}}


@pytest.fixture
def schema(api_client):
    return api_client.get("/api/schema/?format=json").json()


@pytest.fixture
def content():
    topic = TopicFactory(slug="kursk", parent=TopicFactory(slug="europe"), description="The region.")
    author = AuthorFactory(slug="jane", bio="Covers defence.")
    section = SectionFactory(slug="news", description="All the news.", position=3)
    video = VideoFactory(live=True, slug="clip", topics=[topic], section=section, thumbnail=ImageFactory())
    article = ArticleFactory(
        live=True,
        slug="story",
        section=section,
        topics=[topic],
        authors=[author],
        hero_image=ImageFactory(focal_x=0.25, focal_y=0.75),
        lead_video=video,
        body_html=f'<h2>Head</h2><p>Text <a href="https://example.com">link</a></p>'
        f"<ul><li><p>item</p></li></ul><blockquote><p>quote</p></blockquote>"
        f'<figure data-embed="video" data-id="{video.pk}"></figure>',
    )
    RelatedContentFactory(article=article, target_video=video)
    RelatedContentFactory(
        article=article, target_article=ArticleFactory(live=True, hero_image=ImageFactory())
    )
    NewsletterFactory(slug="daily")
    # A live page, with a post of every kind of part, and a correction: every shape is checked.
    article.live_status, article.coverage_start = "live", article.published_at
    article.save()
    LivePost.objects.create(
        article=article,
        status=LivePost.Status.PUBLISHED,
        title="Key moment",
        author=author,
        key_event=True,
        pinned=True,
        body_html="<p>Posted <strong>now</strong>.</p>"
        f'<figure data-embed="image" data-id="{article.hero_image_id}"></figure>',
    )
    LivePost.objects.create(article=article, status=LivePost.Status.PUBLISHED, body_html="<p>Untitled.</p>")
    Correction.objects.create(article=article, text="A date was wrong.")
    Correction.objects.create(video=video, kind="clarification", text="Filmed on Monday.")
    article.refresh_from_db()
    return article


def component(schema, name):
    return {"$ref": f"#/components/schemas/{name}", "components": schema["components"]}


def assert_matches(schema, name, item, expected_keys=None):
    OAS31Validator(component(schema, name)).validate(item)
    properties = set(schema["components"]["schemas"][name]["properties"])
    if expected_keys is None:
        expected_keys = properties - ONLY_WITH_EXPAND.get(name, set())
    assert set(item) == expected_keys


ENDPOINTS = [
    ("/api/v1/articles/", "ArticleList", "ArticleDetail", "story"),
    ("/api/v1/videos/", "VideoList", "VideoDetail", "clip"),
    ("/api/v1/topics/", "Topic", "TopicDetail", "kursk"),
    ("/api/v1/sections/", "Section", "SectionDetail", "news"),
    ("/api/v1/authors/", "Author", "AuthorDetail", "jane"),
    ("/api/v1/newsletters/", "Newsletter", "Newsletter", "daily"),
]


@pytest.mark.parametrize(("url", "list_name", "detail_name", "slug"), ENDPOINTS)
def test_list_and_detail_responses_match_their_schema(
    api_client, schema, content, url, list_name, detail_name, slug
):
    listed = api_client.get(url).json()["results"]
    detail = api_client.get(f"{url}{slug}/").json()

    assert listed
    for item in listed:
        assert_matches(schema, list_name, item)
    assert_matches(schema, detail_name, detail)


def test_expanded_article_list_matches_the_schema_and_embeds_in_full(api_client, schema, content):
    url = "/api/v1/articles/?expand=section,topics,authors,lead_video,related"

    item = next(item for item in api_client.get(url).json()["results"] if item["slug"] == "story")

    assert_matches(
        schema, "ArticleList", item, set(schema["components"]["schemas"]["ArticleList"]["properties"])
    )
    assert item["section"]["description"] == "All the news." and item["section"]["position"] == 3
    assert item["topics"][0]["description"] == "The region."
    assert item["topics"][0]["parent"]["slug"] == "europe"
    assert item["authors"][0]["bio"] == "Covers defence."
    assert item["lead_video"]["slug"] == "clip"
    assert [teaser["type"] for teaser in item["related"]] == ["video", "article"]


def test_references_by_default(api_client, content):
    item = api_client.get("/api/v1/articles/story/").json()

    assert item["topics"][0] == {
        "id": item["topics"][0]["id"],
        "slug": "kursk",
        "name": item["topics"][0]["name"],
    }
    assert set(item["section"]) == {"id", "slug", "name"}
    assert set(item["authors"][0]) == {"id", "slug", "name", "role"}


@pytest.mark.parametrize(
    "url",
    ["/api/v1/articles/?fields=slug,headline", "/api/v1/articles/story/?fields=slug,headline"],
)
def test_fields_returns_only_the_chosen_fields(api_client, content, url):
    data = api_client.get(url).json()
    items = data["results"] if "results" in data else [data]

    assert all(set(item) == {"slug", "headline"} for item in items)


def test_fields_and_expand_together(api_client, content):
    data = api_client.get("/api/v1/videos/clip/?fields=slug,topics&expand=topics").json()

    assert set(data) == {"slug", "topics"}
    assert data["topics"][0]["parent"]["slug"] == "europe"


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("fields=slug,password", "fields"),
        ("fields=", "fields"),
        ("fields=,,", "fields"),
        ("expand=body", "expand"),
        ("expand=topics,everything", "expand"),
    ],
)
def test_unknown_fields_or_expansions_are_a_400_naming_the_parameter(api_client, content, query, parameter):
    for url in ("/api/v1/articles/", "/api/v1/articles/story/"):
        response = api_client.get(f"{url}?{query}")

        assert response.status_code == 400
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["errors"][0]["parameter"] == parameter


def test_expanding_everything_keeps_a_fixed_number_of_queries(api_client, django_assert_max_num_queries):
    topics, authors = TopicFactory.create_batch(3, parent=TopicFactory()), AuthorFactory.create_batch(2)
    for _ in range(20):
        article = ArticleFactory(
            live=True,
            topics=topics,
            authors=authors,
            hero_image=ImageFactory(),
            lead_video=VideoFactory(live=True, thumbnail=ImageFactory()),
        )
        RelatedContentFactory(article=article, target_video=VideoFactory(live=True))

    # count, page; rendering the items: articles (with section, hero image and lead video), topics,
    # authors, related
    with django_assert_max_num_queries(6):
        response = api_client.get("/api/v1/articles/?expand=section,topics,authors,lead_video,related")

    assert len(response.json()["results"]) == 20
    assert all(item["lead_video"] and item["related"] for item in response.json()["results"])


def test_schema_documents_fields_and_expand(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/articles/"]["get"]["parameters"]}
    detail = {p["name"]: p for p in schema["paths"]["/api/v1/articles/{slug}/"]["get"]["parameters"]}

    assert parameters["expand"]["schema"]["items"]["enum"] == [
        "section",
        "topics",
        "authors",
        "lead_video",
        "related",
    ]
    assert "headline" in parameters["fields"]["description"]
    assert "fields" in detail and "expand" in detail
    topics = {p["name"] for p in schema["paths"]["/api/v1/topics/"]["get"]["parameters"]}
    assert "fields" in topics and "expand" not in topics


# --- Every response against its operation's schema, nested objects included ----------------------
def strict(node):
    """The schema with every object closed (no property it does not declare) and every declared
    one required unless the serializer made it optional: a nested field added, removed or renamed
    on one side only fails."""
    if isinstance(node, list):
        return [strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: strict(value) for key, value in node.items()}
    if "properties" in node and "additionalProperties" not in node:
        node["additionalProperties"] = False
    return node


EDITABLE = {"articles": "story", "videos": "clip", "topics": "kursk", "sections": "news", "authors": "jane"}


def test_every_get_operation_answers_exactly_its_schema(api_client, schema, content, reporter, desk_editor):
    from articles.preview import make_preview_token
    from newsletters.models import Edition
    from newsletters.tokens import manage_token
    from partners.models import APIKey
    from webhooks.models import Endpoint

    from .factories import EditionFactory, EditionItemFactory, SubscriptionFactory

    edition = EditionFactory(newsletter=NewsletterFactory(slug="weekly"), status=Edition.Status.SENT)
    EditionItemFactory(edition=edition, article=content)
    subscription = SubscriptionFactory(newsletter=edition.newsletter, confirmed=True)
    values = {
        "/api/v1/articles/{slug}/": {"slug": "story"},
        "/api/v1/articles/{slug}/posts/": {"slug": "story"},
        "/api/v1/videos/{slug}/": {"slug": "clip"},
        "/api/v1/topics/{slug}/": {"slug": "kursk"},
        "/api/v1/sections/{slug}/": {"slug": "news"},
        "/api/v1/authors/{slug}/": {"slug": "jane"},
        "/api/v1/newsletters/{slug}/": {"slug": "weekly"},
        "/api/v1/newsletters/{slug}/editions/": {"slug": "weekly"},
        "/api/v1/newsletters/{slug}/editions/{id}/": {"slug": "weekly", "id": edition.pk},
        "/api/v1/preview/{token}/": {"token": make_preview_token(content)},
        "/api/v1/subscriptions/{token}/": {"token": manage_token(subscription.subscriber)},
        "/api/v1/drafts/articles/{slug}/": {"slug": "story"},
        "/api/v1/drafts/videos/{slug}/": {"slug": "clip"},
        "/api/v1/images/{id}/": {"id": content.hero_image_id},
        **{f"/api/v1/{kind}/{{slug}}/edit/": {"slug": slug} for kind, slug in EDITABLE.items()},
        **{
            f"/api/v1/{drafts}{kind}/{{slug}}/ninjs/": {"slug": EDITABLE[kind]}
            for drafts in ("", "drafts/")
            for kind in ("articles", "videos")
        },
        "/api/v1/webhooks/endpoints/{id}/": {
            "id": Endpoint.objects.create(url="https://example.com/hooks").pk
        },
    }
    _, manage = APIKey.objects.create_key(name="hooks", owner=desk_editor, scopes=["webhooks:manage"])
    manager = APIClient(HTTP_AUTHORIZATION=f"Api-Key {manage}")
    _, key = APIKey.objects.create_key(
        name="staging", owner=reporter, scopes=["preview:read", "content:write"]
    )
    staging = APIClient(HTTP_AUTHORIZATION=f"Api-Key {key}")
    queries = {"/api/v1/search/": f"?q={content.headline.split()[-1]}"}
    checked = []
    for path, operations in schema["paths"].items():
        answer = operations.get("get", {}).get("responses", {}).get("200", {})
        if "application/json" not in answer.get("content", {}):
            continue
        url = path.format(**values.get(path, {})) + queries.get(path, "")
        credentials = path.startswith(("/api/v1/drafts/", "/api/v1/images/")) or path.endswith("/edit/")
        client = manager if path.startswith("/api/v1/webhooks/") else staging if credentials else api_client
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.json()
        assert body.get("results", [None]), f"{url} lists nothing to check"
        response_schema = strict({**answer["content"]["application/json"]["schema"]})
        OAS31Validator({**response_schema, "components": strict(schema["components"])}).validate(body)
        checked.append(path)
    assert len(checked) >= 18

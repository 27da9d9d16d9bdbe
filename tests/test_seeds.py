import copy
import json
import re
from functools import reduce
from io import StringIO
from operator import getitem
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from articles.models import Article
from cms.publishing import Status
from newsletters.models import Newsletter
from seeds.loader import DOCUMENTS_DIR

pytestmark = pytest.mark.django_db

STEM = "000_a44d50669bff9519"
SEED_TEXT = (DOCUMENTS_DIR / f"{STEM}.txt").read_text(encoding="utf-8")
SEED_META = json.loads((DOCUMENTS_DIR / f"{STEM}.json").read_text(encoding="utf-8"))
ARTICLE_SLUG = "north-korean-troops-kursk-escalation-zelensky"
LEAD_VIDEO_TITLE = (
    "Watch: Russia is deploying North Korean soldiers to the front lines in Kursk, says Zelensky"
)
RELATED_TITLES = [
    "F-35B Lightnings aboard HMS Prince of Wales",
    "HMS Trent helps hurricane-hit Jamaica",
    "Royal Navy personnel ready for remembrance role",
]


def load(*args: str) -> str:
    out = StringIO()
    call_command("load_seeds", *args, stdout=out)
    return out.getvalue()


def write_document(folder: Path, text: str | None, meta: dict | str | None, stem: str = STEM) -> Path:
    """A seed document in `folder`; None leaves that file out, a str is written as it is."""
    folder.mkdir(exist_ok=True)
    if text is not None:
        (folder / f"{stem}.txt").write_text(text, encoding="utf-8")
    if meta is not None:
        raw = meta if isinstance(meta, str) else json.dumps(meta, indent=2)
        (folder / f"{stem}.json").write_text(raw, encoding="utf-8")
    return folder


def snapshot() -> dict[str, list[dict]]:
    """Every row of every model, many-to-many tables included."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values())
        for model in apps.get_models(include_auto_created=True)
    }


def rows_by_slug() -> dict[tuple[str, str], dict]:
    return {(label, row["slug"]): row for label, rows in snapshot().items() for row in rows if "slug" in row}


def content_row_counts() -> dict[str, int]:
    return {
        label: len(rows)
        for label, rows in snapshot().items()
        if label.split(".")[0] in {"articles", "topics", "newsletters"}
    }


def test_shipped_seeds_create_the_page_content():
    load()

    article = Article.objects.get(slug=ARTICLE_SLUG)
    assert article.status == Status.PUBLISHED and article.is_live
    assert article.headline == (
        "North Korean troops being used in Kursk marks an escalation in war, says Zelensky"
    )
    assert article.section.name == "News"
    assert article.standfirst.startswith("A significant number of North Korean troops are now being used")
    assert len(article.body) == 19
    assert {block["type"] for block in article.body} == {"paragraph"}
    assert article.body[0]["text"] == (
        "Russia has amassed 50,000 troops for its counter-offensive in Kursk, "
        "including 10,000 soldiers sent by Pyongyang."
    )
    assert article.body[-1]["text"] == (
        "Mr Zelensky plans to attend a meeting with the leaders of Britain, France, Germany, Italy, "
        "Poland, Nato and the EU in Brussels on Wednesday."
    )
    assert {"Ukraine", "Russia", "North Korea", "Kursk"} <= set(article.topics.values_list("name", flat=True))
    assert article.lead_video.title == LEAD_VIDEO_TITLE
    assert article.lead_video.is_live

    related = [item.target_video for item in article.related_items.all()]
    assert [video.title for video in related] == RELATED_TITLES
    assert [set(video.topics.values_list("name", flat=True)) for video in related] == [
        {"Royal Navy", "F-35B", "HMS Prince of Wales"},
        {"Royal Navy", "Jamaica", "Hurricane relief"},
        {"Royal Navy", "Remembrance"},
    ]
    assert all(video.is_live and video.section == article.section for video in related)

    newsletter = Newsletter.objects.get()
    assert (newsletter.name, newsletter.is_active) == ("The Daily Briefing", True)
    assert article.newsletter == newsletter  # the page's "Join Our Newsletter" block


def test_seed_article_is_served_by_the_api(api_client):
    load()

    listing = api_client.get("/api/v1/articles/")
    assert [item["slug"] for item in listing.json()["results"]] == [ARTICLE_SLUG]

    response = api_client.get(f"/api/v1/articles/{ARTICLE_SLUG}/")
    assert response.status_code == 200
    article = response.json()
    assert article["section"]["name"] == "News"
    assert len(article["topics"]) >= 3
    assert article["lead_video"]["title"] == LEAD_VIDEO_TITLE
    assert [(item["type"], item["title"]) for item in article["related"]] == [
        ("video", title) for title in RELATED_TITLES
    ]
    assert article["body"][0]["type"] == "paragraph"

    newsletters = api_client.get("/api/v1/newsletters/").json()["results"]
    assert [item["name"] for item in newsletters] == ["The Daily Briefing"]

    signup = article["newsletter"]
    assert (signup["slug"], signup["name"], signup["frequency"]) == (
        "the-daily-briefing",
        "The Daily Briefing",
        "daily",
    )
    assert signup["subscribe_url"] == "http://testserver/api/v1/newsletters/the-daily-briefing/subscriptions/"
    subscribed = api_client.post(signup["subscribe_url"], {"email": "reader@example.com"}, format="json")
    assert subscribed.status_code == 202


def test_rerun_gives_the_article_its_newsletter_back(api_client):
    load()
    Article.objects.filter(slug=ARTICLE_SLUG).update(newsletter=None)  # as loaded before the block existed

    output = load()

    assert output.strip().endswith("(0 created, 1 changed)")
    assert Article.objects.get(slug=ARTICLE_SLUG).newsletter.slug == "the-daily-briefing"
    served = api_client.get(f"/api/v1/articles/{ARTICLE_SLUG}/").json()["newsletter"]
    assert served["slug"] == "the-daily-briefing"


def test_running_twice_changes_nothing():
    first = load()
    before = snapshot()

    second = load()

    assert snapshot() == before
    assert first.strip() == (
        "Loaded 1 document: 1 article, 4 videos, 1 newsletter, 1 section, 12 topics (19 created, 0 changed)"
    )
    assert second.strip().endswith("(0 created, 0 changed)")


def test_rerun_after_an_edit_saves_only_the_edited_records(tmp_path, api_client):
    folder = write_document(tmp_path / "seeds", SEED_TEXT, SEED_META)
    load("--path", str(folder))
    before = rows_by_slug()
    # Swap the first two related videos, on the page and in the metadata; reword the newsletter.
    first, second = RELATED_TITLES[:2]
    text = SEED_TEXT.replace(first, "\0").replace(second, first).replace("\0", second)
    meta = copy.deepcopy(SEED_META)
    meta["related_videos"][:2] = reversed(meta["related_videos"][:2])
    meta["newsletter"]["description"] = "The news that matters, every morning."
    write_document(folder, text, meta)

    output = load("--path", str(folder))

    assert output.strip().endswith("(0 created, 2 changed)")
    after = rows_by_slug()
    changed = {slug for (label, slug), row in before.items() if after[label, slug] != row}
    assert changed == {ARTICLE_SLUG, "the-daily-briefing"}
    related = api_client.get(f"/api/v1/articles/{ARTICLE_SLUG}/").json()["related"]
    assert [item["title"] for item in related] == [second, first, RELATED_TITLES[2]]


def test_video_caption_line_is_optional(tmp_path):
    text = SEED_TEXT.replace(f"\n\n{LEAD_VIDEO_TITLE}\n", "\n", 1)
    assert text.count(LEAD_VIDEO_TITLE) == 1
    load("--path", str(write_document(tmp_path / "seeds", text, SEED_META)))

    article = Article.objects.get(slug=ARTICLE_SLUG)
    assert article.standfirst.startswith("A significant number of North Korean troops")
    assert len(article.body) == 19


def _drop_line(line: str):
    return lambda text, meta: (text.replace(f"\n{line}\n", "\n", 1), meta)


REMOVE = object()


def _edit_meta(*keys: str | int, value: object = REMOVE):
    """An edit that sets one value of the metadata, or removes its key."""

    def edit(text, meta):
        meta = copy.deepcopy(meta)
        *parents, last = keys
        target = reduce(getitem, parents, meta)
        if value is REMOVE:
            del target[last]
        else:
            target[last] = value
        return text, meta

    return edit


BODY = SEED_TEXT[SEED_TEXT.index("Russia has amassed") : SEED_TEXT.index("Related topics")]


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        pytest.param(lambda text, meta: (text, None), f"{STEM}.json: missing", id="no-metadata"),
        pytest.param(lambda text, meta: ("", meta), "the document is empty", id="empty-text"),
        pytest.param(lambda text, meta: (text, '{"section": '), "invalid JSON", id="invalid-json"),
        pytest.param(_drop_line("Related topics"), "no 'Related topics' line", id="no-related-topics"),
        pytest.param(
            _drop_line("Join Our Newsletter"),
            "expected 'Join Our Newsletter', found 'WatchUsOn'",
            id="no-newsletter-marker",
        ),
        pytest.param(_drop_line("WatchUsOn"), "expected 'WatchUsOn', found 'F-35B", id="no-watch-marker"),
        pytest.param(
            lambda text, meta: (text.replace(BODY, ""), meta),
            "expected a standfirst and body paragraphs",
            id="no-body",
        ),
        pytest.param(_drop_line("News"), "expected the section name 'News'", id="no-section-line"),
        pytest.param(
            lambda text, meta: (text.split("WatchUsOn")[0] + "WatchUsOn\n", meta),
            "no related video titles after 'WatchUsOn'",
            id="no-related-titles",
        ),
        pytest.param(
            lambda text, meta: (text + "\n\nA fourth video", meta),
            "4 related video titles after 'WatchUsOn', but 3 entries in related_videos",
            id="more-related-titles-than-metadata",
        ),
        pytest.param(
            lambda text, meta: (text.removesuffix("\n\n" + RELATED_TITLES[2]), meta),
            "2 related video titles after 'WatchUsOn', but 3 entries in related_videos",
            id="fewer-related-titles-than-metadata",
        ),
        pytest.param(
            _edit_meta("article", "published_at"),
            "missing key 'article.published_at'",
            id="missing-key",
        ),
        pytest.param(
            _edit_meta("topics", value=["ukraine"]),
            "topics must be a JSON object",
            id="wrong-json-type",
        ),
        pytest.param(
            _edit_meta("related_videos", 1, "slug", value="HMS Trent!"),
            "related_videos[1].slug: Enter a valid “slug”",
            id="invalid-slug",
        ),
        pytest.param(
            _edit_meta("article", "topics", value=["ukraine", "atlantis"]),
            "article.topics: 'atlantis' is not one of the slugs in 'topics'",
            id="undefined-topic",
        ),
        pytest.param(
            _edit_meta("newsletter", "frequency", value="hourly"),
            "newsletter.frequency: Value 'hourly' is not a valid choice.",
            id="invalid-choice",
        ),
        pytest.param(_edit_meta("newsletter"), "missing key 'newsletter'", id="no-newsletter"),
        pytest.param(
            _edit_meta("newsletter", "slug", value="Daily Briefing"),
            "newsletter.slug: Enter a valid “slug”",
            id="invalid-newsletter-slug",
        ),
        pytest.param(
            _edit_meta("article", "published_at", value="2024-12-16 09:00"),
            "article.published_at: '2024-12-16 09:00' is not an ISO 8601 time with a zone",
            id="time-without-zone",
        ),
        pytest.param(
            _edit_meta("related_videos", 0, "slug", value=SEED_META["lead_video"]["slug"]),
            "two different video records have the slug",
            id="two-videos-one-slug",
        ),
    ],
)
def test_malformed_document_is_rejected_and_nothing_is_written(tmp_path, edit, problem):
    text, meta = edit(SEED_TEXT, SEED_META)
    folder = write_document(tmp_path / "seeds", text, meta)

    with pytest.raises(CommandError, match=re.escape(problem)) as error:
        load("--path", str(folder))

    assert STEM in str(error.value)
    assert not any(content_row_counts().values())


def test_error_gives_the_line_of_the_problem(tmp_path):
    text = SEED_TEXT.replace("Join Our Newsletter", "Sign up now")
    folder = write_document(tmp_path / "seeds", text, SEED_META)
    line = text.split("\n").index("Sign up now") + 1

    with pytest.raises(CommandError) as error:
        load("--path", str(folder))

    assert str(error.value) == (
        f"{folder / STEM}.txt:{line}: expected 'Join Our Newsletter', found 'Sign up now'"
    )


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (_edit_meta("newsletter"), "001_other.json: missing key 'newsletter'"),
        (_edit_meta("topics", "kursk", value="Kursk Oblast"), "two different topic records"),
    ],
    ids=["bad-document", "documents-disagree"],
)
def test_one_bad_document_stops_all_of_them(tmp_path, edit, problem):
    folder = write_document(tmp_path / "seeds", SEED_TEXT, SEED_META)
    write_document(folder, *edit(SEED_TEXT, SEED_META), stem="001_other")

    with pytest.raises(CommandError, match=re.escape(problem)):
        load("--path", str(folder))

    assert not any(content_row_counts().values())


def test_folder_without_documents_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="no seed documents"):
        load("--path", str(tmp_path))

"""The Google video sitemap (/sitemap-video.xml, articles/sitemaps.py): publicly visible videos that
Google can show, with the video elements it requires, paged, listed in the index, cached and purged."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.http import http_date

from articles import sitemaps
from articles.models import Image, Video
from cms.publishing import Status
from tests.factories import ImageFactory, TopicFactory, VideoFactory, png_file

pytestmark = pytest.mark.django_db

FRONTEND = "https://www.example.com"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
VIDEO = "{http://www.google.com/schemas/sitemap-video/1.1}"
URL = "/sitemap-video.xml"
PLAYER = "https://player.example.com/embed/1"


@pytest.fixture(autouse=True)
def _frontend(settings):
    settings.FRONTEND_BASE_URL = FRONTEND


def playable(**fields) -> Video:
    """A live video Google can show: a thumbnail and a player."""
    return VideoFactory(**{"live": True, "thumbnail": ImageFactory(), "embed_url": PLAYER, **fields})


def entries(response) -> dict[str, ET.Element]:
    """The <video:video> of each <url>, by its <loc>; the document parsed with its namespaces."""
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    root = ET.fromstring(response.content)
    assert root.tag == f"{SITEMAP}urlset"
    return {url.findtext(f"{SITEMAP}loc"): url.find(f"{VIDEO}video") for url in root.iter(f"{SITEMAP}url")}


def page_of(video: Video) -> str:
    return f"{FRONTEND}/videos/{video.slug}"


def test_each_video_has_the_elements_google_requires(client):
    expires = timezone.now() + timedelta(days=30)
    thumbnail = ImageFactory(file=png_file(size=(800, 450)))  # copies 320, 640 and 800 wide
    video = playable(
        title="F-35B Lightnings aboard HMS Prince of Wales",
        description="Jets land at sea.",
        thumbnail=thumbnail,
        source_url="https://cdn.example.com/f35.mp4",
        duration=timedelta(minutes=2, seconds=5),
        expires_at=expires,
        topics=[TopicFactory(name="Royal Navy"), TopicFactory(name="Retired", is_active=False)],
    )

    element = entries(client.get(URL))[page_of(video)]

    widest = max(thumbnail.renditions, key=lambda rendition: rendition["width"])
    assert element.findtext(f"{VIDEO}thumbnail_loc") == f"http://testserver/media/{widest['path']}"
    assert element.findtext(f"{VIDEO}title") == "F-35B Lightnings aboard HMS Prince of Wales"
    assert element.findtext(f"{VIDEO}description") == "Jets land at sea."
    assert element.findtext(f"{VIDEO}content_loc") == "https://cdn.example.com/f35.mp4"
    assert element.findtext(f"{VIDEO}player_loc") == PLAYER
    assert element.findtext(f"{VIDEO}duration") == "125"
    assert element.findtext(f"{VIDEO}publication_date") == video.published_at.isoformat().replace(
        "+00:00", "Z"
    )
    assert element.findtext(f"{VIDEO}expiration_date") == expires.isoformat().replace("+00:00", "Z")
    assert [tag.text for tag in element.findall(f"{VIDEO}tag")] == ["Royal Navy"]  # active topics only


def test_only_public_videos_google_can_play_are_listed(client):
    listed = [playable(), playable(embed_url="", source_url="https://cdn.example.com/file.mp4")]
    now = timezone.now()
    for hidden in (
        {"status": Status.DRAFT},
        {"status": Status.PUBLISHED, "published_at": now + timedelta(hours=1)},  # scheduled
        {"status": Status.ARCHIVED, "published_at": now - timedelta(hours=1)},
        {"status": Status.PUBLISHED, "published_at": now - timedelta(hours=5), "expires_at": now},  # expired
    ):
        playable(live=False, **hidden)
    playable(thumbnail=None)  # Google requires a thumbnail
    playable(embed_url="")  # neither a player nor the file
    # A YouTube page is neither the file nor a player.
    playable(embed_url="", provider=Video.Provider.YOUTUBE, source_url="https://www.youtube.com/watch?v=x")

    assert list(entries(client.get(URL))) == [page_of(video) for video in listed]


def test_text_is_escaped_and_what_xml_cannot_hold_is_left_out(client):
    video = playable(title='Troops & tanks <at> the "border"', description="")
    Video.objects.filter(pk=video.pk).update(title='Troops & tanks <at> the "border"\x0b')  # past save()

    response = client.get(URL)

    element = entries(response)[page_of(video)]
    assert element.findtext(f"{VIDEO}title") == 'Troops & tanks <at> the "border"'
    assert element.findtext(f"{VIDEO}description") == 'Troops & tanks <at> the "border"'  # none: the title
    assert b"&amp; tanks &lt;at&gt;" in response.content


def test_a_duration_google_would_refuse_is_left_out(client):
    long, unknown = playable(duration=timedelta(hours=9)), playable(duration=None)

    found = entries(client.get(URL))

    assert found[page_of(long)].find(f"{VIDEO}duration") is None
    assert found[page_of(unknown)].find(f"{VIDEO}duration") is None


def test_large_video_sitemaps_are_split_into_pages_listed_in_the_index(client, monkeypatch):
    monkeypatch.setattr(sitemaps.GoogleVideoSitemap, "limit", 2)
    videos = [playable() for _ in range(5)]

    index = ET.fromstring(client.get("/sitemap.xml").content)
    pages = [loc.text for loc in index.iter(f"{SITEMAP}loc") if "sitemap-video" in loc.text]
    listed = [list(entries(client.get(page.removeprefix("http://testserver")))) for page in pages]

    assert pages == [
        "http://testserver/sitemap-video.xml",
        "http://testserver/sitemap-video.xml?p=2",
        "http://testserver/sitemap-video.xml?p=3",
    ]
    assert sum(listed, []) == [page_of(video) for video in videos]  # oldest first
    assert client.get(f"{URL}?p=4").status_code == 404
    bad = client.get(f"{URL}?p=01")
    assert bad.status_code == 400 and bad.json()["errors"][0]["parameter"] == "p"


def test_no_page_renders_more_than_the_sitemap_page_size():
    assert sitemaps.GoogleVideoSitemap.limit == sitemaps.SITEMAP_PAGE_SIZE


def test_queries_do_not_grow_with_videos(client, django_assert_max_num_queries):
    topics = TopicFactory.create_batch(3)
    for _ in range(20):
        playable(topics=topics)

    with django_assert_max_num_queries(3):  # the count, the page, the topics
        response = client.get(URL)

    assert len(entries(response)) == 20


def test_it_is_cached_and_purged_by_a_change_to_what_it_shows(client, django_assert_max_num_queries):
    topic = TopicFactory(name="Navy")
    video = playable(title="Before", topics=[topic])
    first = client.get(URL)
    with django_assert_max_num_queries(0):
        again = client.get(URL)
    assert (first["X-Cache"], again["X-Cache"]) == ("MISS", "HIT")
    assert {"videos", "images", "topics"} <= set(first["Surrogate-Key"].split())

    video.title = "After"
    video.save()
    edited = client.get(URL)
    assert edited["X-Cache"] == "MISS"
    assert entries(edited)[page_of(video)].findtext(f"{VIDEO}title") == "After"

    topic.name = "Royal Navy"
    topic.save()
    assert entries(client.get(URL))[page_of(video)].findtext(f"{VIDEO}tag") == "Royal Navy"

    Image.objects.get(pk=video.thumbnail_id).delete()  # the video loses its thumbnail: not a video entry
    assert entries(client.get(URL)) == {}


def test_it_keeps_its_own_last_modified_and_revalidates_by_it(client, clock):  # noqa: F811
    video = playable(published_at=clock.now - timedelta(hours=5))
    Video.objects.filter(pk=video.pk).update(updated_at=clock.now - timedelta(hours=3))
    clock.advance(minutes=30)
    own = http_date((clock.now - timedelta(minutes=30) - timedelta(hours=3)).timestamp())

    first, hit = client.get(URL), client.get(URL)
    revalidated = client.get(URL, HTTP_IF_MODIFIED_SINCE=own)

    assert first["Last-Modified"] == hit["Last-Modified"] == own
    assert revalidated.status_code == 304

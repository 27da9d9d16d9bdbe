"""The body from the admin's rich-text editor: sanitized on the way in, served as blocks and HTML."""

import pytest
from django.urls import reverse

from articles.models import Article
from cms.publishing import Status

from .factories import ArticleFactory, SectionFactory, VideoFactory
from .test_admin import article_form

pytestmark = pytest.mark.django_db

ADD_ARTICLE = reverse("admin:articles_article_add")

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<p onclick="alert(1)">click</p>',
    '<a href="javascript:alert(1)">link</a>',
    '<a href="JaVaScRiPt:alert(1)">link</a>',
    '<a href=" javascript:alert(1)">link</a>',
    '<a href="&#106;avascript:alert(1)">link</a>',
    '<a href="java\tscript:alert(1)">link</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">link</a>',
    '<a href="vbscript:msgbox(1)">link</a>',
    '<a href="https://example.com" onmouseover="alert(1)" target="_blank">ok</a>',
    '<iframe src="https://evil.example"></iframe>',
    "<style>body { display: none }</style>",
    '<p style="background: url(javascript:alert(1))">styled</p>',
    "<svg onload=alert(1)><circle r=1></circle></svg>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<form action="https://evil.example"><input name=password></form>',
    '<object data="https://evil.example/x.swf"></object><embed src="https://evil.example/x.swf">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example"><base href="https://evil.example/">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    "<!-- <script>alert(1)</script> -->",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    '<figure data-embed="video" data-id="1 onload=alert(1)"></figure>',
    '<figure data-embed="video" data-id="\u00b2"></figure>',
    '<figure data-embed="video" data-id="99999999999999999999999"></figure>',
    '<figure data-embed="script" data-id="1" onclick="alert(1)"></figure>',
    "<p><unknown-tag>text</unknown-tag><marquee>old</marquee></p>",
]
FORBIDDEN = [
    "<script",
    "onerror",
    "onclick",
    "onload",
    "onmouseover",
    "javascript:",
    "vbscript:",
    "data:text",
    "<iframe",
    "<style",
    "style=",
    "<svg",
    "<math",
    "<form",
    "<input",
    "<object",
    "<embed",
    "<meta",
    "<base",
    "<link",
    "<!--",
    "<img",
    "<noscript",
    "target=",
    "<unknown-tag",
    "<marquee",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_html_never_reaches_storage_or_the_api(admin_client, api_client, hostile):
    body = f"<p>Before.</p>{hostile}<p>After.</p>"
    form = article_form(section=SectionFactory(), body_html=body, slug="hostile", status=Status.PUBLISHED)

    response = admin_client.post(ADD_ARTICLE, form)

    assert response.status_code == 302
    stored = Article.objects.get(slug="hostile")
    served = api_client.get("/api/v1/articles/hostile/").content.decode()
    for fragment in FORBIDDEN:
        assert fragment not in stored.body_html.lower()
        assert fragment not in str(stored.body).lower()
        assert fragment not in served.lower().replace("\\u003c", "<")
    assert stored.body[0]["text"] == "Before." and stored.body[-1]["text"] == "After."


def test_sanitizing_keeps_what_the_editor_produces(api_client):
    html = (
        "<h2>Heading</h2><h3>Sub</h3><h4>Subsub</h4>"
        '<p>Plain, <strong>bold</strong>, <em>italic</em>, <a href="https://example.com/a">link</a>, '
        '<a href="mailto:desk@example.com">mail</a>,<br>new line.</p>'
        "<ul><li><p>a</p></li></ul><ol><li><p>b</p></li></ol><blockquote><p>quoted</p></blockquote>"
    )
    article = ArticleFactory(live=True, body_html=html)

    data = api_client.get(f"/api/v1/articles/{article.slug}/").json()

    assert [block["type"] for block in data["body"]] == ["heading"] * 3 + [
        "paragraph",
        "list",
        "list",
        "quote",
    ]
    assert [block["level"] for block in data["body"][:3]] == [2, 3, 4]
    paragraph = data["body"][3]
    assert paragraph["text"] == "Plain, bold, italic, link, mail,\nnew line."
    assert {"text": "mail", "marks": [], "href": "mailto:desk@example.com"} in paragraph["spans"]
    assert '<a href="mailto:desk@example.com" rel="noopener noreferrer">mail</a>' in paragraph["html"]
    assert (
        "<h3>Sub</h3>" in data["body_html"] and "<blockquote><p>quoted</p></blockquote>" in data["body_html"]
    )


def test_embed_of_an_unpublished_video_is_left_out_until_it_is_published(api_client):
    video = VideoFactory(status=Status.DRAFT, title="Embargoed clip")
    article = ArticleFactory(
        live=True, body_html=f'<p>Text.</p><figure data-embed="video" data-id="{video.pk}"></figure>'
    )
    url = f"/api/v1/articles/{article.slug}/"

    hidden = api_client.get(url).json()
    video.status = Status.PUBLISHED
    video.save()
    shown = api_client.get(url).json()

    assert [block["type"] for block in hidden["body"]] == ["paragraph"]
    assert "Embargoed" not in str(hidden)
    assert [block["type"] for block in shown["body"]] == ["paragraph", "video"]
    assert shown["body"][1]["caption"] == "Embargoed clip"
    assert "Embargoed clip" in shown["body_html"]

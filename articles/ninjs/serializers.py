"""The ninjs document's shape, for the OpenAPI schema: the properties of ninjs 3.3 that we fill,
with what we put in them. Optional ones are left out when empty (ninjs has no nulls)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

REPRESENTATIONS = ["full", "partial"]  # ninjs' own set: one enum in the schema
URI = "A URI: our stable `tag:` URIs identify items, images, authors, sections and topics."


@extend_schema_field(OpenApiTypes.URI)
class UriField(serializers.CharField):
    pass


class NinjsStandardSerializer(serializers.Serializer):
    """The standard the document conforms to."""

    name = serializers.CharField(help_text="`ninjs`.")
    version = serializers.CharField(help_text="The ninjs version, `3.3`.")
    schema = UriField(help_text="The IPTC's JSON Schema it validates against.")


class NinjsTextSerializer(serializers.Serializer):
    """A headline or a description, with its role."""

    role = serializers.CharField(
        help_text="Headlines: `main`, `seo` (the SEO title, when set). Descriptions: `summary` (the "
        "standfirst or the video's description), `seo`, `creditline`; for pictures `caption` and "
        "`alt` (the alt text)."
    )
    value = serializers.CharField(help_text="The text.")


class NinjsBodySerializer(serializers.Serializer):
    """The content: the article's body, or a video's transcript."""

    role = serializers.CharField(help_text="`main` (an article's body) or `transcript` (a video's).")
    contentType = serializers.CharField(
        help_text="`text/html`: sanitized HTML, with the public images and videos embedded as in the "
        "article's `body_html`; `text/plain`: its words, a paragraph or list item a line."
    )
    value = serializers.CharField(help_text="The body.")
    charCount = serializers.IntegerField(help_text="Characters of its words, without figure captions.")
    wordCount = serializers.IntegerField(help_text="Its words, without figure captions.")


class NinjsPersonSerializer(serializers.Serializer):
    """An author of the item."""

    name = serializers.CharField(help_text="Full name, as in the byline.")
    rel = serializers.CharField(help_text="`author`.")
    uri = UriField(help_text=URI)
    literal = serializers.CharField(help_text="The author's slug in this API (`/api/v1/authors/{slug}/`).")


class NinjsSubjectSerializer(serializers.Serializer):
    """The section or an active topic of the item."""

    name = serializers.CharField(help_text="Its name.")
    rel = serializers.CharField(help_text="`section` or `topic`.")
    uri = UriField(help_text=URI)
    literal = serializers.CharField(help_text="Its slug in this API.")


class NinjsAltIdSerializer(serializers.Serializer):
    """Another identifier of the item."""

    role = serializers.CharField(help_text="`id`: the item's `id` in this API.")
    value = serializers.CharField(help_text="The identifier.")


class NinjsPointSerializer(serializers.Serializer):
    """Where the subject of a picture is (its focal point)."""

    x = serializers.IntegerField(help_text="Pixels from the left edge of the rendition.")
    y = serializers.IntegerField(help_text="Pixels from the top edge of the rendition.")


class NinjsRenditionSerializer(serializers.Serializer):
    """A form of the item or picture one can fetch."""

    name = serializers.CharField(
        help_text="Pictures: `original`, then `w{width}` for each resized copy, narrowest first. Videos: "
        "`source` (the file, stream or provider's page), `player` (an embeddable player). Articles and "
        "videos: `web`, the reader's page on our site."
    )
    href = UriField(help_text="Absolute URL.")
    contentType = serializers.CharField(
        required=False, help_text="Media type, where known: `image/webp`, `video/mp4`, `text/html`..."
    )
    title = serializers.CharField(required=False, help_text="What it is, for people.")
    width = serializers.IntegerField(required=False, help_text="Pixels (pictures).")
    height = serializers.IntegerField(required=False, help_text="Pixels (pictures).")
    duration = serializers.FloatField(required=False, help_text="Running time in seconds (videos).")
    poi = NinjsPointSerializer(required=False, help_text="The focal point, when the picture has one.")


class NinjsPictureSerializer(serializers.Serializer):
    """A picture associated with an item: an article's hero image, a video's thumbnail."""

    name = serializers.CharField(help_text="`hero-image` or `thumbnail`.")
    rel = serializers.CharField(help_text="`hero` or `thumbnail`.")
    uri = UriField(help_text=URI)
    type = serializers.ChoiceField(choices=["picture"], help_text="`picture`.")
    representationType = serializers.ChoiceField(
        choices=REPRESENTATIONS, help_text="`partial`: the picture as shown with the item."
    )
    descriptions = NinjsTextSerializer(
        many=True, required=False, help_text="`caption`, `alt` (alt text) and `creditline`, when set."
    )
    renditions = NinjsRenditionSerializer(
        many=True, required=False, help_text="The original, then its copies."
    )


class NinjsAssociationSerializer(NinjsPictureSerializer):
    """An item associated with this one: its picture, or an article's lead video (only while the
    video is publicly visible)."""

    name = serializers.CharField(help_text="`hero-image`, `thumbnail` or `lead-video`.")
    rel = serializers.CharField(help_text="`hero`, `thumbnail` or `lead-video`.")
    type = serializers.ChoiceField(choices=["picture", "video"], help_text="`picture` or `video`.")
    representationType = serializers.ChoiceField(
        choices=REPRESENTATIONS,
        help_text="`partial`: as shown with the item; the video's own ninjs document has more.",
    )
    headlines = NinjsTextSerializer(many=True, required=False, help_text="A video's title (`main`).")
    descriptions = NinjsTextSerializer(
        many=True,
        required=False,
        help_text="A video's description (`summary`); a picture's `caption`, `alt` and `creditline`.",
    )
    associations = NinjsPictureSerializer(many=True, required=False, help_text="A video's thumbnail.")


class NinjsItemSerializer(serializers.Serializer):
    """An article (`type: text`) or a video (`type: video`) as an IPTC ninjs 3.3 document. Empty
    properties are left out."""

    uri = UriField(
        help_text="Stable identifier: `tag:{frontend host},2025:{article|video}/{id}`, as in the feeds."
    )
    standard = NinjsStandardSerializer(help_text="ninjs 3.3 and its schema.")
    type = serializers.ChoiceField(choices=["text", "video"], help_text="`text` (an article) or `video`.")
    representationType = serializers.ChoiceField(choices=REPRESENTATIONS, help_text="`full`.")
    version = serializers.CharField(
        help_text="Changes with every version readers could see: seconds since 1970 of `versionCreated`."
    )
    firstCreated = serializers.DateTimeField(
        required=False, help_text="When it was first published; absent until then."
    )
    versionCreated = serializers.DateTimeField(
        help_text="When readers last saw a change: the last edit of a published item, or going live."
    )
    contentCreated = serializers.DateTimeField(help_text="When it was created in the newsroom.")
    embargoedUntil = serializers.DateTimeField(
        required=False,
        help_text="Only from the drafts route, for a scheduled item: its publish time, before which "
        "it must not be published.",
    )
    pubStatus = serializers.ChoiceField(
        choices=["usable", "withheld", "canceled"],
        help_text="`usable` (public, or scheduled: see `embargoedUntil`). From the drafts route also "
        "`withheld` (a draft) and `canceled` (expired or archived).",
    )
    expires = serializers.DateTimeField(required=False, help_text="When it stops being shown, if set.")
    language = serializers.CharField(help_text="BCP 47 language of the content (CONTENT_LANGUAGE).")
    slugline = serializers.CharField(help_text="Its current slug in this API.")
    altIds = NinjsAltIdSerializer(many=True, help_text="Its `id` in this API.")
    headlines = NinjsTextSerializer(
        many=True, help_text="`main`: the headline or title; `seo`: the SEO title, when set."
    )
    descriptions = NinjsTextSerializer(
        many=True,
        required=False,
        help_text="`summary`: the standfirst or the video's description; `seo`: the SEO description; "
        "`creditline`: the credit (e.g. a wire agency); each when set.",
    )
    bodies = NinjsBodySerializer(
        many=True, required=False, help_text="An article's body as HTML and as text; a video's transcript."
    )
    by = serializers.CharField(required=False, help_text="The byline: the authors' names (articles).")
    people = NinjsPersonSerializer(many=True, required=False, help_text="The authors (articles).")
    subjects = NinjsSubjectSerializer(
        many=True, required=False, help_text="The section, then the active topics."
    )
    renditions = NinjsRenditionSerializer(
        many=True, help_text="The reader's page (`web`); for a video also its `source` and `player`."
    )
    associations = NinjsAssociationSerializer(
        many=True, required=False, help_text="The hero image and the lead video, or a video's thumbnail."
    )
    copyrightHolder = serializers.CharField(
        help_text="Who holds the copyright: the item's own, else the publisher (SITE_NAME)."
    )
    copyrightNotice = serializers.CharField(help_text="e.g. `© 2026 Newsroom`.")
    usageTerms = serializers.CharField(
        required=False,
        help_text="What partners may do with it: the item's own terms, else the publisher's "
        "(DEFAULT_USAGE_TERMS); absent when neither is set.",
    )

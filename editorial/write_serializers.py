"""What the write API takes and answers for each resource. One base (WriteSerializer) holds the
rules every resource shares: unknown fields and the server's fields are refused by name, text
holds no NUL, the model's constraints are checked before anything is written, and a PUT empties
what it leaves out. Relations are named by slug (images by id), as the public API names them."""

import copy
import re
from datetime import timedelta

import orjson
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from articles.blocks import referenced_ids
from articles.images import stored_name, validate_image_upload
from articles.models import RIGHTS_FIELDS, Article, Author, Image, Video
from articles.richtext import BlocksError, editor_html, html_to_blocks, sanitize_html
from articles.teasers import RenditionSerializer, image_data
from topics.models import Section, Topic

FORBIDDEN_TEXT = re.compile("[\x00\ud800-\udfff]")  # NUL (PostgreSQL refuses it), lone surrogates


def holds_forbidden_text(value) -> bool:
    """Whether any text in `value` (JSON, however deep, keys included) holds a NUL character or a
    lone surrogate: neither can be stored, looked up or written back as UTF-8."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str) and FORBIDDEN_TEXT.search(item):
            return True
        if isinstance(item, dict):
            pending += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            pending += item
    return False


def refuse_unknown_and_forbidden(data, fields) -> None:
    """The rules of every body the write API takes (see the module's docstring): a JSON object,
    of the writable fields (by name: a field the server sets is named as such), with text that
    can be stored."""
    if not hasattr(data, "items"):
        raise serializers.ValidationError({"non_field_errors": ["Send a JSON object."]})
    if any(holds_forbidden_text(name) for name in data) or any(
        isinstance(value, str | list | dict) and holds_forbidden_text(value) for value in data.values()
    ):
        bad = [
            name
            for name, value in data.items()
            if not holds_forbidden_text(name) and holds_forbidden_text(value)
        ]
        raise serializers.ValidationError(
            {name: ["Null characters and lone surrogates are not allowed."] for name in bad}
            or {"non_field_errors": ["A field name holds a null character or a lone surrogate."]}
        )
    writable = {name for name, field in fields.items() if not field.read_only}
    refused = {}
    for name in sorted(data):
        top, _, nested = name.partition(".")  # multipart names nested fields "focal_point.x"
        if top in writable and not nested:
            continue
        if top in writable and nested in getattr(fields[top], "fields", {}):
            continue
        refused[name] = (
            ["This field is the server's: it cannot be written."] if top in fields else ["Unknown field."]
        )
    if refused:
        raise serializers.ValidationError(refused)


class WriteSerializer(serializers.ModelSerializer):
    """The shared rules of the write API's bodies (see the module's docstring)."""

    id = serializers.IntegerField(read_only=True, help_text="Stable identifier.")

    # Fields a PUT leaves alone when they are not sent (another field carries the same data).
    kept_on_put: tuple[str, ...] = ()
    constraint_field = "non_field_errors"  # where a broken rule of several fields is pointed at

    def to_internal_value(self, data):
        data = self.without_unchanged_server_fields(data)
        refuse_unknown_and_forbidden(data, self.fields)
        if not hasattr(data, "getlist"):  # JSON: text must be a string (in multipart it always is)
            wrong = {
                name: ["Not a string."]
                for name, field in self.fields.items()
                if isinstance(field, serializers.CharField)
                and not field.read_only
                and data.get(name) is not None
                and not isinstance(data[name], str)
            }
            if wrong:
                raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)

    def validate(self, attrs):
        self._check_constraints(attrs)
        return attrs

    def stored(self) -> dict:
        """The item as the write API answers for it now (what a round trip sends back)."""
        if not hasattr(self, "_stored"):
            self._stored = type(self)(self.instance, context=self.context).data
        return self._stored

    def without_unchanged_server_fields(self, data):
        """A change may send back what it was answered: the server's fields, as they are, are left
        out (a value that differs is refused by name, as any server field is)."""
        if self.instance is None or not isinstance(data, dict):
            return data
        server = [name for name, field in self.fields.items() if field.read_only and name in data]
        if not server:
            return data
        stored = self.stored()
        return {
            name: value for name, value in data.items() if name not in server or value != stored.get(name)
        }

    def _check_constraints(self, attrs) -> None:
        """The model's check constraints, as the admin's form checks them, so that a write they
        refuse is a 400 naming the fields rather than an error from the database."""
        model = self.Meta.model
        if not model._meta.constraints:
            return
        item = model() if self.instance is None else copy.copy(self.instance)
        for name, value in attrs.items():
            field = model._meta.get_field(name)
            if field.concrete and not field.many_to_many:
                setattr(item, name, value)
        # Unique fields are checked by their own validators; unloaded columns (search's) are in no
        # rule, and reading them would cost a query each.
        exclude = {field.name for field in model._meta.fields if field.unique} | item.get_deferred_fields()
        try:
            item.validate_constraints(exclude=exclude)
        except DjangoValidationError as error:
            errors = serializers.as_serializer_error(error)
            if NON_FIELD_ERRORS in errors:  # a rule of several fields: named by the serializer's own name
                errors[self.constraint_field] = errors.pop(NON_FIELD_ERRORS)
            raise serializers.ValidationError(errors) from None

    def update(self, instance, validated_data):
        if not self.partial:
            validated_data = {**self.emptied(), **validated_data}
        return super().update(instance, validated_data)

    def emptied(self) -> dict:
        """What a PUT sets the fields it left out to: the model's defaults (blank, null, none)."""
        sent = {name.split(".")[0] for name in self.initial_data}
        values = {}
        for name, field in self.fields.items():
            if field.read_only or name in sent or name in self.kept_on_put:
                continue
            try:
                model_field = self.Meta.model._meta.get_field(field.source)
            except FieldDoesNotExist:  # not a column (an image's focal point): the serializer's own
                continue
            values[field.source] = [] if model_field.many_to_many else model_field.get_default()
        return values


class SlugsField(serializers.ManyRelatedField):
    """A list of slugs, looked up in one query (DRF's many=True asks once per slug); an unknown
    slug is named in the 400."""

    def to_internal_value(self, data):
        if isinstance(data, str | bytes | dict) or not hasattr(data, "__iter__"):
            self.fail("not_a_list", input_type=type(data).__name__)
        if not all(isinstance(slug, str) for slug in data):
            raise serializers.ValidationError("Send slugs: a list of strings.")
        slugs = list(dict.fromkeys(data))  # once each, in the order sent
        queryset = self.child_relation.get_queryset()
        found = {item.slug: item for item in queryset.filter(slug__in=slugs)}
        missing = [slug for slug in slugs if slug not in found]
        if missing:
            noun = queryset.model._meta.verbose_name
            raise serializers.ValidationError([f"No {noun} with the slug {slug!r}." for slug in missing])
        return [found[slug] for slug in slugs]


def _slugs(queryset, *, many=False, help_text: str, **kwargs):
    if many:
        child = serializers.SlugRelatedField(queryset=queryset, slug_field="slug")
        return SlugsField(child_relation=child, required=False, help_text=help_text, **kwargs)
    return serializers.SlugRelatedField(queryset=queryset, slug_field="slug", help_text=help_text, **kwargs)


MAX_DURATION = timedelta(days=7)
MAX_BODY_CHARS = 200_000  # of HTML: a long read is a third of it; turning more into blocks holds a worker
MAX_BLOCKS = 2_000
BLOCK_TAGS = re.compile(
    r"<(?:p|h[1-6]|li|blockquote|figure|pre|div)\b", re.IGNORECASE
)  # counted before parsing

PUBLISHING_FIELDS = ["state", "status", "published_at", "expires_at", "first_published_at", "updated_at"]


class PublishableWriteSerializer(WriteSerializer):
    """Articles and videos: their publishing fields are answered, never written (they change
    through the publish and unpublish actions)."""

    state = serializers.CharField(read_only=True, help_text="What the public sees now.")


class ArticleWriteSerializer(PublishableWriteSerializer):
    """An article as the write API takes and answers it. The body is sent either as `body_html`
    (sanitized with the admin's allowlist) or as `body`, blocks in the shape GET serves them; the
    answer carries both. Relations by slug (the hero image by id). Publishing fields are the
    server's: set them through the publish and unpublish actions."""

    section = _slugs(Section.objects.all(), help_text="The section's slug.")
    topics = _slugs(Topic.objects.all(), many=True, help_text="Topic slugs.")
    authors = _slugs(Author.objects.all(), many=True, help_text="Author slugs.")
    hero_image = serializers.PrimaryKeyRelatedField(
        queryset=Image.objects.all(), allow_null=True, required=False, help_text="An image's id."
    )
    lead_video = _slugs(Video.objects.all(), allow_null=True, required=False, help_text="A video's slug.")
    body_html = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="The body as HTML: headings, paragraphs, lists, quotes, links, bold and italic, and "
        '`<figure data-embed="image|video" data-id="..." data-caption="...">` embeds; anything else '
        "is removed (the admin's allowlist).",
    )
    body = serializers.JSONField(
        required=False,
        help_text="The body as blocks, in the shape GET serves them (read by each block's `html`, an "
        "embed by its item's id and `caption`); or send `body_html`. Answered in the stored shape.",
    )
    kept_on_put = ("body",)  # the body is sent as `body` or as `body_html`: emptied as body_html

    class Meta:
        model = Article
        fields = [
            "id",
            "slug",
            "headline",
            "standfirst",
            "body_html",
            "body",
            "section",
            "topics",
            "authors",
            "hero_image",
            "lead_video",
            "seo_title",
            "seo_description",
            "canonical_url",
            *RIGHTS_FIELDS,
            *PUBLISHING_FIELDS,
        ]
        read_only_fields = PUBLISHING_FIELDS

    def to_internal_value(self, data):
        if isinstance(data, dict) and "body" in data and "body_html" in data:
            # Both, as answered: sent back, the one that is as stored goes (the other may be new).
            stored = self.stored() if self.instance is not None else {}
            if stored and data["body"] == stored["body"]:
                data = {name: value for name, value in data.items() if name != "body"}
            elif stored and data["body_html"] == stored["body_html"]:
                data = {name: value for name, value in data.items() if name != "body_html"}
            else:
                raise serializers.ValidationError(
                    {"body": ["Send the body as `body` or as `body_html`, not both."]}
                )
        return super().to_internal_value(data)

    def validate_body(self, blocks):
        if isinstance(blocks, list) and len(blocks) > MAX_BLOCKS:
            raise serializers.ValidationError(f"A body is at most {MAX_BLOCKS:,} blocks.")
        try:
            return editor_html(blocks)
        except BlocksError as error:
            raise serializers.ValidationError(
                [str(error)] if error.index is None else {error.index: [str(error)]}
            ) from None

    def validate(self, attrs):
        field = "body" if "body" in attrs else "body_html"
        if "body" in attrs:
            attrs["body_html"] = attrs.pop("body")
        if "body_html" in attrs:
            if len(attrs["body_html"]) > MAX_BODY_CHARS:
                raise serializers.ValidationError(
                    {field: [f"A body is at most {MAX_BODY_CHARS:,} characters of HTML."]}
                )
            if len(BLOCK_TAGS.findall(attrs["body_html"])) > MAX_BLOCKS:  # before it is parsed
                raise serializers.ValidationError({field: [f"A body is at most {MAX_BLOCKS:,} blocks."]})
            blocks = html_to_blocks(sanitize_html(attrs["body_html"]))
            if len(blocks) > MAX_BLOCKS:
                raise serializers.ValidationError({field: [f"A body is at most {MAX_BLOCKS:,} blocks."]})
            self._check_embeds(blocks, field)
        return super().validate(attrs)

    def _check_embeds(self, blocks, field: str) -> None:
        """Embeds the change adds: of images that exist, and of videos the public sees. One the
        article holds already may stay (a video unpublished since), as in the admin."""
        kept = [self.instance.body] if self.instance is not None else []
        images = referenced_ids([blocks], "image") - referenced_ids(kept, "image")
        videos = referenced_ids([blocks], "video") - referenced_ids(kept, "video")
        missing = sorted(images - set(Image.objects.filter(pk__in=images).values_list("pk", flat=True)))
        hidden = sorted(
            videos - set(Video.objects.published().filter(pk__in=videos).values_list("pk", flat=True))
        )
        errors = [f"No image {pk}." for pk in missing] + [f"No publicly visible video {pk}." for pk in hidden]
        if errors:
            raise serializers.ValidationError({field: errors})


class VideoWriteSerializer(PublishableWriteSerializer):
    """A video as the write API takes and answers it: relations by slug (the poster frame by its
    image's id); `duration` as `HH:MM:SS` or ISO 8601 (`PT2M30S`)."""

    section = _slugs(Section.objects.all(), allow_null=True, required=False, help_text="The section's slug.")
    topics = _slugs(Topic.objects.all(), many=True, help_text="Topic slugs.")
    thumbnail = serializers.PrimaryKeyRelatedField(
        queryset=Image.objects.all(),
        allow_null=True,
        required=False,
        help_text="The poster frame's image id.",
    )
    duration = serializers.DurationField(
        allow_null=True,
        required=False,
        min_value=timedelta(seconds=1),
        max_value=MAX_DURATION,
        help_text="Running time: `HH:MM:SS` or ISO 8601 (`PT2M30S`); up to a week.",
    )

    class Meta:
        model = Video
        fields = [
            "id",
            "slug",
            "title",
            "description",
            "provider",
            "source_url",
            "embed_url",
            "duration",
            "thumbnail",
            "transcript",
            "section",
            "topics",
            "seo_title",
            "seo_description",
            *RIGHTS_FIELDS,
            *PUBLISHING_FIELDS,
        ]
        read_only_fields = PUBLISHING_FIELDS


class AuthorWriteSerializer(WriteSerializer):
    """An author: the byline's name, the slug of their page, their role and a short biography."""

    class Meta:
        model = Author
        fields = ["id", "slug", "name", "role", "bio"]


class SectionWriteSerializer(WriteSerializer):
    """A section: its name, slug, description and place in the navigation (lower first). Its
    newsletter is chosen in the admin."""

    class Meta:
        model = Section
        fields = ["id", "slug", "name", "description", "position"]


class TopicWriteSerializer(WriteSerializer):
    """A topic: name, slug, description, an optional broader topic (`parent`, by slug) and whether
    the public API shows it (`is_active`)."""

    parent = _slugs(
        Topic.objects.all(), allow_null=True, required=False, help_text="The broader topic's slug."
    )

    class Meta:
        model = Topic
        fields = ["id", "slug", "name", "description", "parent", "is_active"]

    def validate_parent(self, parent):
        """No topic may be its own ancestor: the hierarchy stays a tree."""
        ancestor, seen = parent, set()
        while ancestor is not None and self.instance is not None and ancestor.pk not in seen:
            if ancestor.pk == self.instance.pk:
                raise serializers.ValidationError(
                    "A topic cannot be placed under itself or under its own subtopic."
                )
            seen.add(ancestor.pk)
            ancestor = ancestor.parent
        return parent


class FocalPointWriteSerializer(serializers.Serializer):
    """Where the subject of an image is, as fractions of its width and height (0 to 1)."""

    x = serializers.FloatField(
        min_value=0, max_value=1, help_text="From the left edge: 0 is the left, 1 the right."
    )
    y = serializers.FloatField(
        min_value=0, max_value=1, help_text="From the top edge: 0 is the top, 1 the bottom."
    )

    def validate(self, attrs):
        missing = {"x", "y"} - set(attrs)  # a PATCH's partial reaches nested fields: both are needed
        if missing:
            raise serializers.ValidationError({name: ["This field is required."] for name in sorted(missing)})
        return attrs


class ImageWriteSerializer(WriteSerializer):
    """An image of the library: uploaded as `multipart/form-data` with its `file` (JPEG, PNG, WebP
    or GIF by content, within the size and pixel limits: the admin's checks) and its alt text;
    answered in the shape the public API shows images in, with the resized copies made from it.
    In a multipart body the focal point is sent as `focal_point.x` and `focal_point.y`. Changed
    with PATCH (a new `file` too, in a multipart body), never replaced whole."""

    file = serializers.FileField(
        write_only=True,
        validators=[validate_image_upload],
        help_text="The original: JPEG, PNG, WebP or GIF. Stored under a name ending as its content "
        "is, whatever name it is sent with.",
    )
    url = serializers.URLField(read_only=True, help_text="Absolute URL of the original file.")
    focal_point = FocalPointWriteSerializer(
        allow_null=True,
        required=False,
        help_text="Where the subject is, so that crops keep it in view; null: crop around the centre.",
    )
    renditions = RenditionSerializer(
        many=True,
        read_only=True,
        help_text="Resized copies, narrowest first; never wider than the original. Use them for srcset.",
    )

    class Meta:
        model = Image
        fields = [
            "id",
            "file",
            "url",
            "width",
            "height",
            "alt_text",
            "caption",
            "credit",
            "focal_point",
            "renditions",
        ]
        read_only_fields = ["width", "height"]
        extra_kwargs = {"alt_text": {"allow_blank": False}}

    constraint_field = "focal_point"

    def to_internal_value(self, data):
        if hasattr(data, "getlist") and isinstance(data.get("focal_point"), str):
            # A multipart body's object part (as generated clients send it): JSON text.
            data = data.copy()
            try:
                data["focal_point"] = orjson.loads(data["focal_point"])
            except orjson.JSONDecodeError:
                raise serializers.ValidationError({"focal_point": ["Not a JSON object."]}) from None
            data = {name: data[name] for name in data}
        return super().to_internal_value(data)

    def validate_file(self, file):
        file.name = stored_name(file)
        return file

    def validate(self, attrs):
        if "focal_point" in attrs:
            point = attrs.pop("focal_point") or {}
            attrs["focal_x"], attrs["focal_y"] = point.get("x"), point.get("y")
        return super().validate(attrs)

    def to_representation(self, image):
        return image_data(image, self.context)

"""Query filters of the article and video lists and of /search/. Unknown slugs match nothing;
a malformed value is a 400 naming its parameter (DjangoFilterBackend raises the form's errors)."""

import re
from datetime import UTC, datetime

import django_filters
from django import forms
from django.core.validators import validate_slug
from django.db.models import Exists, OuterRef
from drf_spectacular.utils import extend_schema_field

from . import search
from .models import Article, Video

MAX_TOPICS = 20
SLUG_MAX_LENGTH = 200


# --- Form fields: parsing and validation of one query parameter ------------------------------
class SlugListWidget(forms.TextInput):
    """`?topic=a,b` and `?topic=a&topic=b` alike: every value, split at commas."""

    def format_value(self, value):
        return ",".join(value) if isinstance(value, list) else value

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name) or ""]
        return [part.strip() for value in values for part in value.split(",") if part.strip()]


class SlugListField(forms.Field):
    widget = SlugListWidget

    def __init__(self, *, max_items: int = MAX_TOPICS, **kwargs):
        self.max_items = max_items
        super().__init__(**kwargs)

    def to_python(self, value):
        return list(dict.fromkeys(value or []))  # without repeats, in order

    def validate(self, value):
        super().validate(value)
        if len(value) > self.max_items:
            raise forms.ValidationError(f"At most {self.max_items} slugs, not {len(value)}.")
        for slug in value:
            if len(slug) > SLUG_MAX_LENGTH or not re.fullmatch(r"[-a-zA-Z0-9_]+", slug):
                raise forms.ValidationError(f"Not a slug: {slug[:40]!r} (letters, digits, - and _ only).")


class SlugField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=SLUG_MAX_LENGTH, validators=[validate_slug], **kwargs)
        self.error_messages["invalid"] = "Not a slug (letters, digits, - and _ only)."


class UtcDateTimeField(forms.Field):
    """ISO 8601, e.g. `2025-06-01T12:00:00Z` or `2025-06-01T14:00:00+02:00`. A date alone means
    midnight; a time without an offset is UTC."""

    def to_python(self, value):
        value = (value or "").strip()
        if not value:
            return None
        # An unencoded `+` in a query string arrives as a space: `12:00:00 02:00` meant +02:00.
        value = re.sub(r"(:\d\d(?:\.\d+)?) (\d\d:?\d\d)$", r"\1+\2", value)
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise forms.ValidationError(
                f"Not an ISO 8601 date or date and time: {value[:40]!r}; e.g. 2025-06-01 or "
                "2025-06-01T12:00:00Z."
            ) from None
        try:
            return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        except OverflowError:  # valid as written, but before year 1 or after 9999 in UTC
            raise forms.ValidationError(f"Out of range once in UTC: {value[:40]!r}.") from None


class StrictBooleanField(forms.Field):
    def to_python(self, value):
        value = (value or "").strip().lower()
        if value in ("", "true", "false"):
            return None if value == "" else value == "true"
        raise forms.ValidationError(f"Must be true or false, not {value[:40]!r}.")


class SearchQueryField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=search.MAX_LENGTH, **kwargs)
        self.error_messages["required"] = "Give something to search for."
        self.error_messages["max_length"] = f"At most {search.MAX_LENGTH} characters, not %(show_value)d."

    def validate(self, value):
        super().validate(value)
        if not value:
            return
        query = search.parse(value)
        if not query.required:
            raise forms.ValidationError("Give at least one word to look for, not only words to leave out.")
        words = len({word for phrase in (*query.phrases, *query.excluded) for word in phrase})
        if words > search.MAX_WORDS:  # each distinct word is one more match to find and rank
            raise forms.ValidationError(f"At most {search.MAX_WORDS} different words, not {words}.")


# --- Filters: the fields above, and their schema --------------------------------------------
class TypedFilter(django_filters.Filter):
    """A filter with its OpenAPI schema spelt out: drf-spectacular cannot infer it from a custom
    form field, and takes the description from the schema when the schema is given."""

    schema: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        extend_schema_field({**self.schema, "description": self.extra["help_text"]})(self)


class SlugListFilter(TypedFilter):
    field_class = SlugListField
    schema = {
        "type": "array",
        "items": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"},
        "maxItems": MAX_TOPICS,
    }


class SlugFilter(django_filters.CharFilter):
    field_class = SlugField


class UtcDateTimeFilter(TypedFilter):
    field_class = UtcDateTimeField
    schema = {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "format": "date"}]}


class StrictBooleanFilter(TypedFilter):
    field_class = StrictBooleanField
    schema = {"type": "boolean"}


class SearchQueryFilter(TypedFilter):
    field_class = SearchQueryField
    schema = {"type": "string", "minLength": 1, "maxLength": search.MAX_LENGTH}


# --- FilterSets --------------------------------------------------------------------------------
Q_HELP = (
    "Search words, web-search style: all words must match (`kursk offensive`); "
    '`"quoted phrase"`; `OR` between two terms; `-word` leaves out what contains it. '
    f"At most {search.MAX_LENGTH} characters and {search.MAX_WORDS} different words. Searches the "
    "title first, then the summary, then the body (the transcript of a video); orders by relevance "
    "unless `ordering` says otherwise."
)
DATE_HELP = "An ISO 8601 date and time (a date alone means midnight; no offset means UTC)."


class ContentFilter(django_filters.FilterSet):
    """What articles and videos alike can be filtered by."""

    q = SearchQueryFilter(method="filter_q", help_text=Q_HELP)
    topic = SlugListFilter(
        method="filter_topic",
        help_text=f"Only items tagged with these topics (slugs): comma-separated or repeated, at most "
        f"{MAX_TOPICS}. With `topic_match=all`, only items tagged with every one of them.",
    )
    topic_match = django_filters.ChoiceFilter(
        choices=[("any", "any"), ("all", "all")],
        method="filter_nothing",
        empty_label=None,
        help_text="Whether `topic` asks for items tagged with any (the default) or all of the topics.",
        error_messages={"invalid_choice": "Must be any or all, not '%(value)s'."},
    )
    section = SlugFilter(field_name="section__slug", help_text="Only items in this section (slug).")
    published_after = UtcDateTimeFilter(
        field_name="published_at",
        lookup_expr="gte",
        help_text=f"Only items published at or after this time. {DATE_HELP}",
    )
    published_before = UtcDateTimeFilter(
        field_name="published_at",
        lookup_expr="lt",
        help_text=f"Only items published before this time. {DATE_HELP}",
    )
    updated_since = UtcDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text=f"Only items changed (in a way readers see) at or after this time. {DATE_HELP}",
    )

    def filter_queryset(self, queryset):
        # `q` last: a search ranks the newest matches of what the other filters leave (on
        # PostgreSQL only those are ranked), so `published_before` reaches older matches.
        cleaned = self.form.cleaned_data
        for name in sorted(cleaned, key=lambda name: name == "q"):
            queryset = self.filters[name].filter(queryset, cleaned[name])
        return queryset

    def filter_q(self, queryset, name, value):
        return search.search(queryset, value)

    def filter_topic(self, queryset, name, slugs):
        # The active topics' ids first (one small query), so that the planner knows how common
        # each is and can walk the newest items checking their tags, rather than gather every
        # item of a busy topic and sort them. Subqueries rather than joins: an item tagged with
        # several of the topics stays one row.
        topics = queryset.model._meta.get_field("topics")
        found = dict(topics.related_model.objects.active().filter(slug__in=slugs).values_list("slug", "pk"))
        tags = topics.remote_field.through.objects.filter(**{topics.m2m_field_name(): OuterRef("pk")})
        topic_id = f"{topics.m2m_reverse_field_name()}_id"
        if self.form.cleaned_data.get("topic_match") == "all":
            if len(found) < len(set(slugs)):
                return queryset.none()  # an unknown or inactive topic tags nothing
            for pk in found.values():
                queryset = queryset.filter(Exists(tags.filter(**{topic_id: pk})))
            return queryset
        return queryset.filter(Exists(tags.filter(**{f"{topic_id}__in": list(found.values())})))

    def filter_nothing(self, queryset, name, value):
        return queryset  # a modifier of another filter, which reads it


class ArticleFilter(ContentFilter):
    author = SlugFilter(field_name="authors__slug", help_text="Only articles by this author (slug).")
    has_video = StrictBooleanFilter(
        method="filter_has_video",
        help_text="`true`: only articles that lead with a published video; `false`: only those that do not.",
    )

    class Meta:
        model = Article
        fields = []

    def filter_has_video(self, queryset, name, value):
        return queryset.leading_with_video(value)


class VideoFilter(ContentFilter):
    class Meta:
        model = Video
        fields = []


class SearchFilter(ContentFilter):
    """The parameters of /search/: `q` is required there; `type` picks articles or videos."""

    q = SearchQueryFilter(method="filter_q", required=True, help_text=Q_HELP)
    type = django_filters.ChoiceFilter(
        choices=[("article", "article"), ("video", "video")],
        method="filter_nothing",
        empty_label=None,
        help_text="Only articles or only videos; both when left out.",
        error_messages={"invalid_choice": "Must be article or video, not '%(value)s'."},
    )

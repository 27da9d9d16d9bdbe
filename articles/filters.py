import django_filters

from .models import Article, Video


class ArticleFilter(django_filters.FilterSet):
    section = django_filters.CharFilter(
        field_name="section__slug", help_text="Only articles in this section (slug)."
    )
    topic = django_filters.CharFilter(
        field_name="topics__slug", help_text="Only articles tagged with this topic (slug)."
    )
    author = django_filters.CharFilter(
        field_name="authors__slug", help_text="Only articles by this author (slug)."
    )

    class Meta:
        model = Article
        fields = ["section", "topic", "author"]


class VideoFilter(django_filters.FilterSet):
    section = django_filters.CharFilter(
        field_name="section__slug", help_text="Only videos in this section (slug)."
    )
    topic = django_filters.CharFilter(
        field_name="topics__slug", help_text="Only videos tagged with this topic (slug)."
    )

    class Meta:
        model = Video
        fields = ["section", "topic"]

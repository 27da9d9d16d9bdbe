import io
from datetime import timedelta

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image as PILImage

from articles.models import Article, Author, Image, RelatedContent, Video
from cms.publishing import Status
from newsletters.models import Edition, EditionItem, Newsletter, Subscriber, Subscription
from topics.models import Section, Topic


def png_file(name="picture.png", size=(64, 48)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Section {n}")
    slug = factory.Sequence(lambda n: f"section-{n}")


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author

    name = factory.Sequence(lambda n: f"Author {n}")
    slug = factory.Sequence(lambda n: f"author-{n}")
    role = "Reporter"


class ImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Image

    file = factory.LazyFunction(png_file)
    alt_text = factory.Sequence(lambda n: f"Picture {n}")


class PublishableFactory(factory.django.DjangoModelFactory):
    status = Status.DRAFT

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.set(extracted)

    class Params:
        live = factory.Trait(
            status=Status.PUBLISHED,
            published_at=factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1)),
        )


class VideoFactory(PublishableFactory):
    class Meta:
        model = Video
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Video {n}")
    slug = factory.Sequence(lambda n: f"video-{n}")
    section = factory.SubFactory(SectionFactory)
    duration = timedelta(minutes=2, seconds=5)


class ArticleFactory(PublishableFactory):
    class Meta:
        model = Article
        skip_postgeneration_save = True

    headline = factory.Sequence(lambda n: f"Headline {n}")
    slug = factory.Sequence(lambda n: f"article-{n}")
    standfirst = "One sentence."
    body_html = "<p>First paragraph.</p>"
    section = factory.SubFactory(SectionFactory)

    @factory.post_generation
    def authors(self, create, extracted, **kwargs):
        if create and extracted:
            self.authors.set(extracted)


class RelatedContentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RelatedContent

    article = factory.SubFactory(ArticleFactory)
    position = factory.Sequence(int)


class NewsletterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Newsletter

    name = factory.Sequence(lambda n: f"Newsletter {n}")
    slug = factory.Sequence(lambda n: f"newsletter-{n}")


class SubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscriber

    email = factory.Sequence(lambda n: f"reader{n}@example.com")


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    subscriber = factory.SubFactory(SubscriberFactory)
    newsletter = factory.SubFactory(NewsletterFactory)

    class Params:
        confirmed = factory.Trait(
            status=Subscription.Status.CONFIRMED, confirmed_at=factory.LazyFunction(timezone.now)
        )


class EditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Edition

    newsletter = factory.SubFactory(NewsletterFactory)
    subject = factory.Sequence(lambda n: f"Edition {n}")
    intro = "Good morning."


class EditionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EditionItem

    edition = factory.SubFactory(EditionFactory)
    position = factory.Sequence(int)

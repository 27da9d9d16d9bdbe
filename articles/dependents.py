"""What else a change to an article, a video or a topic affects (cms.caching.register_dependents):
the responses that leave it out while it is hidden and show it once it is visible."""

from .models import Article, RelatedContent, Video


def showing_article(article) -> set[str]:
    """Articles that show it as related content."""
    owners = RelatedContent.objects.filter(target_article=article.pk).values_list("article_id", flat=True)
    return {f"article-{pk}" for pk in owners}


def showing_video(video) -> set[str]:
    """Articles that show it as related content or lead with it."""
    owners = set(RelatedContent.objects.filter(target_video=video.pk).values_list("article_id", flat=True))
    owners.update(Article.objects.filter(lead_video=video.pk).values_list("pk", flat=True))
    return {f"article-{pk}" for pk in owners}


def tagged_with(topic) -> set[str]:
    """The items tagged with it, which show it while it is active."""
    keys = set()
    for model, name in ((Article, "article"), (Video, "video")):
        tagged = model.topics.through.objects.filter(topic_id=topic.pk)
        keys.update(f"{name}-{pk}" for pk in tagged.values_list(f"{name}_id", flat=True))
    return keys


def register() -> None:
    from cms.caching import register_dependents

    register_dependents("articles.Article", showing_article)
    register_dependents("articles.Video", showing_video)
    register_dependents("topics.Topic", tagged_with)

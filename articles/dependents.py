"""What a change to this app's models affects (cms.caching.register): their own keys, and the
responses that leave an item out while it is hidden and show it once it is visible."""

from .models import Article, Author, Correction, Image, LivePost, RelatedContent, Video


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
    """The items tagged with it, when it is shown or hidden: they show it only while it is active.
    A rename reaches them through the topic's own key; a busy topic is on a fifth of everything."""
    if getattr(topic, "was_active", None) == topic.is_active and not topic._state.adding:
        return set()
    keys = set()
    for model, name in ((Article, "article"), (Video, "video")):
        tagged = model.topics.through.objects.filter(topic_id=topic.pk)
        keys.update(f"{name}-{pk}" for pk in tagged.values_list(f"{name}_id", flat=True))
    return keys


def register() -> None:
    from cms.caching import register, register_dependents

    register(Article, key="article", lists="articles", relations=("topics", "authors"))
    register(Video, key="video", lists="videos", relations=("topics",))
    register(Author, key="author", lists="authors", also={"articles"})  # lists filter by author
    register(Image, key="image", lists="images")
    register(RelatedContent, changes=lambda row: {f"article-{row.article_id}"})
    register(
        Correction,
        changes=lambda row: {f"article-{row.article_id}" if row.article_id else f"video-{row.video_id}"},
    )
    # A live post's own key names its kept rendering; its changes reach its article (and every
    # response showing the page's posts) through articles.models.touch.
    register(LivePost, key="livepost")
    register_dependents("articles.Article", showing_article)
    register_dependents("articles.Video", showing_video)
    register_dependents("topics.Topic", tagged_with)

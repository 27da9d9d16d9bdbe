"""The images and videos that bodies embed (an article's, a live post's), loaded for many bodies
at once, and the surrogate keys of what they show."""

from .blocks import referenced_ids
from .models import Image, Video


def load_body_embeds(articles) -> dict[str, dict]:
    """The images and publicly visible videos embedded in the articles' bodies, by id: two queries
    at most, however many blocks there are."""
    bodies = [article.body for article in articles]
    image_ids, video_ids = referenced_ids(bodies, "image"), referenced_ids(bodies, "video")
    videos = Video.objects.published().select_related("thumbnail").in_bulk(video_ids) if video_ids else {}
    return {
        "image": Image.objects.in_bulk(image_ids) if image_ids else {},
        "video": videos,
        "hidden": set(video_ids) - set(videos),
    }


def embed_keys(embeds: dict) -> set[str]:
    """The surrogate keys of what bodies embed: the images and videos shown, and `videos` when a
    video is left out while hidden, so that publishing it shows it without its id being named."""
    keys = {f"image-{pk}" for pk in embeds["image"]} | {f"video-{pk}" for pk in embeds["video"]}
    return keys | {"videos"} if embeds["hidden"] else keys

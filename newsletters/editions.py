"""Editions: what one issue of a newsletter shows, how it reads as an email, and the editor's
moves on it (schedule, send now, unschedule, send a test). The send itself is `sending.py`.

An edition shows only the stories readers can see at the moment it is rendered: an article
unpublished after it was picked is left out of the email and of the archive."""

import re
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from articles.models import Article, Video
from articles.teasers import media_url
from cms.frontend import frontend_url
from cms.representation import ABSOLUTE_PREFIX, absolute

from . import links
from .emails import build_message
from .models import Edition, Subscription

# Email clients show about 600px; a rendition at least this wide stays sharp on dense screens
# when scaled down to the column, without mailing a 2400px original.
EMAIL_IMAGE_WIDTH = 640
EMAIL_COLUMN_WIDTH = 560  # the content column of edition.html, in CSS pixels
PLACEHOLDER_LINK = "#"  # footer links of previews and tests: there is no subscription to sign
TEST_PREFIX = "[TEST] "


# --- What an edition shows ---------------------------------------------------------------------
def edition_stories(edition: Edition) -> list[Article | Video]:
    """The edition's articles and videos that are publicly visible now, in the editor's order.
    Three queries whatever their number (fewer when there are no articles or no videos); the
    items come from `edition.items.all()`, so a prefetch of "items" is used when there is one."""
    rows = list(edition.items.all())
    article_ids = [row.article_id for row in rows if row.article_id is not None]
    video_ids = [row.video_id for row in rows if row.video_id is not None]
    articles = Article.objects.published().teasers().in_bulk(article_ids) if article_ids else {}
    videos = Video.objects.published().teasers().in_bulk(video_ids) if video_ids else {}
    stories = []
    for row in rows:
        target = articles.get(row.article_id) if row.article_id is not None else videos.get(row.video_id)
        if target is not None:
            stories.append(target)
    return stories


def intro_paragraphs(intro: str) -> list[str]:
    """The intro as paragraphs: editors separate them with blank lines."""
    return [part.strip() for part in re.split(r"\n\s*\n", intro.strip()) if part.strip()]


def _absolute_media(path: str) -> str:
    # Media URLs are relative to this site; an email is read far from it.
    return absolute({ABSOLUTE_PREFIX: settings.PUBLIC_BASE_URL}, media_url(path))


def email_image(image) -> dict | None:
    """The picture of a story card: the narrowest rendition at least EMAIL_IMAGE_WIDTH wide (the
    widest there is, failing that; the original when there are none), with its absolute URL and
    the size to show it at in the email's column."""
    if image is None or not image.file:
        return None
    renditions = sorted(image.renditions, key=lambda rendition: rendition["width"])
    wide_enough = [rendition for rendition in renditions if rendition["width"] >= EMAIL_IMAGE_WIDTH]
    pick = wide_enough[0] if wide_enough else (renditions[-1] if renditions else None)
    if pick is not None:
        path, width, height = pick["path"], pick["width"], pick["height"]
    else:
        path, width, height = image.file.name, image.width, image.height
    shown_width = min(width or EMAIL_COLUMN_WIDTH, EMAIL_COLUMN_WIDTH)
    shown_height = round(height * shown_width / width) if width and height else None
    return {
        "url": _absolute_media(path),
        "width": shown_width,
        "height": shown_height,
        "alt": image.alt_text,
    }


def story_card(item: Article | Video) -> dict:
    """What the email shows of one story; the link goes to the frontend's page, not the API."""
    is_article = isinstance(item, Article)
    return {
        "kind": "article" if is_article else "video",
        "title": item.headline if is_article else item.title,
        "summary": item.standfirst if is_article else item.description,
        "url": frontend_url(item),
        "image": email_image(item.hero_image if is_article else item.thumbnail),
    }


# --- The email -----------------------------------------------------------------------------------
TEMPLATE = "newsletters/email/edition"  # .html and .txt


def edition_context(
    *, edition: Edition, stories: list | None = None, subscription: Subscription | None = None
) -> dict:
    """What the edition templates show. The footer links are the subscription's own signed
    manage and unsubscribe links; without a subscription (preview, test) they are placeholders.
    Pass `stories` (from `edition_stories`) when rendering for many recipients."""
    if stories is None:
        stories = edition_stories(edition)
    return {
        "edition": edition,
        "newsletter": edition.newsletter,
        "subject": edition.subject,
        "paragraphs": intro_paragraphs(edition.intro),
        "stories": [story_card(item) for item in stories],
        "home_url": frontend_url(),
        "manage_url": links.manage_url(subscription.subscriber) if subscription else PLACEHOLDER_LINK,
        "unsubscribe_url": links.unsubscribe_url(subscription) if subscription else PLACEHOLDER_LINK,
    }


def render_edition(
    *, edition: Edition, stories: list | None = None, subscription: Subscription | None = None
) -> tuple[str, str]:
    """The edition as (HTML, plain text), as `edition_message` sends it."""
    context = edition_context(edition=edition, stories=stories, subscription=subscription)
    return render_to_string(f"{TEMPLATE}.html", context), render_to_string(f"{TEMPLATE}.txt", context)


def edition_message(
    *,
    edition: Edition,
    to: str,
    stories: list | None = None,
    subscription: Subscription | None = None,
    subject_prefix: str = "",
    connection=None,
) -> EmailMultiAlternatives:
    """One copy of the edition for `to`: plain text with an HTML alternative, and, for a
    subscription, the List-Unsubscribe headers of RFC 8058."""
    message = build_message(
        subject=subject_prefix + edition.subject,
        to=to,
        template=TEMPLATE,
        context=edition_context(edition=edition, stories=stories, subscription=subscription),
        headers=links.list_headers(subscription) if subscription else {},
    )
    message.connection = connection  # None: the default backend, opened per message
    return message


# --- The editor's moves --------------------------------------------------------------------------
def refusal(edition: Edition) -> str | None:
    """Why the edition cannot be sent as it is, or None."""
    if not edition.newsletter.is_active:
        return f"The newsletter “{edition.newsletter}” is inactive: activate it before sending editions."
    if not edition_stories(edition):
        return "This edition has no story that readers can see now: add a published article or video."
    return None


def schedule_edition(*, edition: Edition, at: datetime | None = None) -> Edition:
    """Send the edition at `at` (None: now) to the newsletter's confirmed subscribers. A draft or
    scheduled edition only; a refused one raises ValueError with a message for the editor."""
    now = timezone.now()
    if at is not None and at <= now:
        raise ValueError("The send time has passed: pick a later one, or use Send now.")
    if (reason := refusal(edition)) is not None:
        raise ValueError(reason)
    with transaction.atomic():
        locked = Edition.objects.select_for_update().get(pk=edition.pk)
        if locked.status not in (Edition.Status.DRAFT, Edition.Status.SCHEDULED):
            raise ValueError(
                f"This edition is {locked.get_status_display().lower()}: it cannot be scheduled."
            )
        edition.status = Edition.Status.SCHEDULED
        edition.scheduled_at = at or now
        edition.save(update_fields=["status", "scheduled_at", "updated_at"])
    _enqueue_send(edition)
    return edition


def _enqueue_send(edition: Edition) -> None:
    """Hand the send to a worker: at its time when the task backend can defer, else now if it is
    due. `send_editions` (cron) enqueues the rest when they fall due, and the send checks the time
    itself, so a task left queued for an older time does nothing."""
    from .tasks import send_edition

    due = edition.scheduled_at <= timezone.now()
    if send_edition.get_backend().supports_defer and not due:
        send_edition.using(run_after=edition.scheduled_at).enqueue(edition.pk)
    elif due:
        send_edition.enqueue(edition.pk)


def unschedule_edition(*, edition: Edition) -> Edition:
    """A scheduled edition goes back to draft (its send time is kept, to schedule it again)."""
    with transaction.atomic():
        locked = Edition.objects.select_for_update().get(pk=edition.pk)
        if locked.status != Edition.Status.SCHEDULED:
            raise ValueError(f"This edition is {locked.get_status_display().lower()}, not scheduled.")
        edition.status = Edition.Status.DRAFT
        edition.save(update_fields=["status", "updated_at"])
    return edition


def send_test(*, edition: Edition, to: str) -> None:
    """One copy to an editor, subject marked [TEST], footer links placeholders; no deliveries."""
    if not to:
        raise ValueError("Your user account has no email address: add one to receive tests.")
    edition_message(edition=edition, to=to, subject_prefix=TEST_PREFIX).send()

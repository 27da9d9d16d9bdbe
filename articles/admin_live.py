"""Live pages in the admin: the live desk (a short form to post fast, and the stream newest first,
without opening the article's form) and the posts' own admin for longer edits.

Reporters draft posts; editors (who may publish live posts, cms/roles.py) publish them, from the
desk or the posts' list. Deleting a post keeps a tombstone (models.LivePost.delete), so that the
readers' pages polling for changes learn it is gone."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminTextareaWidget
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django_prose_editor.fields import ProseEditorFormField

from cms.roles import can_publish

from .models import Article, Author, LivePost
from .richtext import EDITOR_EXTENSIONS, html_to_blocks, sanitize_html


class LivePostForm(forms.ModelForm):
    body_html = ProseEditorFormField(
        label="Post",
        required=False,
        extensions=EDITOR_EXTENSIONS,
        sanitize=sanitize_html,
        widget=AdminTextareaWidget,
        help_text="As in an article's body: headings, bold, italic, links, lists, quotes, and embedded "
        "pictures and videos.",
    )

    class Meta:
        model = LivePost
        fields = ["title", "body_html", "author", "key_event", "pinned"]

    def clean(self):
        cleaned = super().clean()
        if not html_to_blocks(cleaned.get("body_html") or "") and not (cleaned.get("title") or "").strip():
            raise forms.ValidationError("Write something: a title or a post.")
        return cleaned


def live_desk_url(article) -> str:
    return reverse("admin:articles_article_live", args=[article.pk])


class LiveDeskMixin:
    """For ArticleAdmin: the live desk page (`<id>/live/`) and a link to it on the article's form."""

    def get_urls(self):
        desk = path(
            "<int:object_id>/live/",
            self.admin_site.admin_view(self.live_desk_view),
            name="articles_article_live",
        )
        return [desk, *super().get_urls()]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "live_desk"]

    @admin.display(description="Live desk")
    def live_desk(self, obj):
        if obj is None or obj.pk is None or not obj.live_status:
            return "Set live coverage and save, then post from the live desk."
        return format_html('<a class="button" href="{}">Open the live desk</a>', live_desk_url(obj))

    def live_desk_view(self, request, object_id):
        article = get_object_or_404(Article, pk=object_id)
        if not (
            request.user.has_perm("articles.add_livepost") and self.has_view_permission(request, article)
        ):
            raise PermissionDenied
        may_publish = can_publish(request.user, LivePost)
        form = LivePostForm(initial={"author": _own_author(request.user)})
        if request.method == "POST":
            done = self._desk_action(request, article, may_publish)
            if done is not None:
                return done
            form = LivePostForm(request.POST)
            if form.is_valid():
                post = form.save(commit=False)
                post.article, post.created_by = article, request.user
                publishing = "publish" in request.POST and may_publish
                post.status = LivePost.Status.PUBLISHED if publishing else LivePost.Status.DRAFT
                post.save()
                shown = "published" if publishing else "saved as a draft"
                self.message_user(request, f"Post {shown}.", messages.SUCCESS)
                return HttpResponseRedirect(live_desk_url(article))
        posts = article.live_posts.filter(deleted_at__isnull=True).select_related("author")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": article,
            "title": f"Live desk: {article.headline}",
            "form": form,
            "media": self.media + form.media,
            "posts": posts.order_by("status", "-published_at", "-pk")[:200],  # drafts first, to publish
            "may_publish": may_publish,
            "api_url": reverse("article-live-posts", kwargs={"slug": article.slug}),
        }
        return TemplateResponse(request, "admin/articles/article/live_desk.html", context)

    def _desk_action(self, request, article, may_publish):
        """Publish or delete one post from the stream's buttons; None when the POST is a new post."""
        for action in ("publish_post", "delete_post"):
            if action in request.POST:
                if not request.POST[action].isdigit():
                    raise Http404("No such post.")
                post = get_object_or_404(
                    article.live_posts.filter(deleted_at__isnull=True), pk=request.POST[action]
                )
                if not may_publish:
                    raise PermissionDenied
                with transaction.atomic():
                    if action == "publish_post":
                        post.status = LivePost.Status.PUBLISHED
                        post.save()
                    else:
                        post.delete()
                done = "Post published." if action == "publish_post" else "Post deleted."
                self.message_user(request, done, messages.SUCCESS)
                return HttpResponseRedirect(live_desk_url(article))
        return None


def _own_author(user):
    """The byline of whoever is posting, if there is an author of their name."""
    name = user.get_full_name()
    return Author.objects.filter(name=name).values_list("pk", flat=True).first() if name else None


@admin.register(LivePost)
class LivePostAdmin(admin.ModelAdmin):
    form = LivePostForm
    list_display = [
        "__str__",
        "article",
        "status",
        "author",
        "published_at",
        "key_event",
        "pinned",
        "edited_at",
    ]
    list_filter = ["status", "key_event", "pinned"]
    list_select_related = ["article", "author"]
    search_fields = ["title", "body_text", "article__headline"]
    autocomplete_fields = ["article", "author"]
    readonly_fields = ["published_at", "edited_at", "created_by", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        # A post stays on its page (models.LivePost.save): its pollers would never learn it left.
        return [*self.readonly_fields, *(["article"] if obj is not None else [])]

    actions = ["publish_selected"]

    def get_fields(self, request, obj=None):
        fields = ["article", "title", "body_html", "author", "key_event", "pinned"]
        if can_publish(request.user, LivePost):
            fields.insert(1, "status")
        return [*fields, *self.readonly_fields]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(deleted_at__isnull=True)

    def has_change_permission(self, request, obj=None):
        if (
            obj is not None
            and obj.status != LivePost.Status.DRAFT
            and not can_publish(request.user, LivePost)
        ):
            return False  # a published post is changed by editors only
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj) and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.save()

    def delete_queryset(self, request, queryset):
        for post in queryset:  # one by one: each leaves a tombstone and a new revision
            post.delete()

    @admin.action(description="Publish selected live posts", permissions=["publish"])
    def publish_selected(self, request, queryset):
        count = 0
        for post in queryset.filter(status=LivePost.Status.DRAFT):
            post.status = LivePost.Status.PUBLISHED
            post.save()
            count += 1
        self.message_user(request, f"{count} post{'s' if count != 1 else ''} published.")

    def has_publish_permission(self, request):
        return can_publish(request.user, LivePost)

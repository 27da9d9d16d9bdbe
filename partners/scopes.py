"""What an API key may be used for. A key acts with its owner's role as well: a scope opens a kind
of route, the owner's permissions decide what the key can do there (cms.roles)."""

from django.db import models


class Scope(models.TextChoices):
    CONTENT_READ = "content:read", "content:read: read the public API with the key's quota"
    CONTENT_WRITE = "content:write", "content:write: create and edit drafts"
    CONTENT_PUBLISH = "content:publish", "content:publish: publish, schedule, unpublish, delete"
    PREVIEW_READ = "preview:read", "preview:read: read drafts, for a staging site"
    WEBHOOKS_MANAGE = "webhooks:manage", "webhooks:manage: add, change and remove webhook endpoints"

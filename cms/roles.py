"""Who may do what in the admin, defined once: the newsroom's groups and the publishing rule.

Reporters write: they create and edit drafts. Editors decide what readers see: they publish,
schedule, unpublish, archive and delete. The audience team looks after subscribers, whom nobody
else sees. `ensure_roles()` makes the groups match `ROLES`; it runs
after every `migrate` (see `articles.apps`) and from `manage.py setup_roles`. The admin asks
`can_publish()`; so does the write API (editorial/writes.py), whose keys act with their owner's role."""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS, models
from django.db.models import Q

REPORTER = "Reporter"
EDITOR = "Editor"
AUDIENCE = "Audience"

ALL = ["view", "add", "change", "delete"]

# Group name -> model label -> actions. An action is the start of a permission codename
# ("change" -> "change_article"); "publish" is the custom permission of Article and Video.
ROLES: dict[str, dict[str, list[str]]] = {
    REPORTER: {
        "articles.article": ["view", "add", "change"],
        "articles.video": ["view", "add", "change"],
        "articles.image": ["view", "add", "change"],
        "articles.author": ["view", "add", "change"],
        # The related-content rows edited inline on a (draft) article.
        "articles.relatedcontent": ALL,
        "articles.correction": ["view"],
        # Live posts: reporters draft them and change their drafts; editors publish and delete.
        "articles.livepost": ["view", "add", "change"],
        "topics.section": ["view"],
        "topics.topic": ["view"],
    },
    EDITOR: {
        "articles.article": [*ALL, "publish"],
        "articles.video": [*ALL, "publish"],
        "articles.image": ALL,
        "articles.author": ALL,
        "articles.relatedcontent": ALL,
        # The correction log: appended to, never edited; "change" is retracting an entry.
        "articles.correction": ["view", "add", "change"],
        "articles.livepost": [*ALL, "publish"],
        "topics.section": ALL,
        "topics.topic": ALL,
        "newsletters.newsletter": ALL,
        "newsletters.edition": ALL,
        "newsletters.editionitem": ALL,
        "newsletters.delivery": ["view"],
        # Webhooks: endpoints are managed by editors; events and deliveries are their log.
        "webhooks.endpoint": ALL,
        "webhooks.event": ["view"],
        "webhooks.delivery": ["view", "change"],
        "webhooks.attempt": ["view"],
    },
    # The audience team: the people who subscribe are personal data, so only they see them.
    # Erasing a subscriber is the only way one is deleted: "delete" is the permission to erase.
    AUDIENCE: {
        "newsletters.newsletter": ["view"],
        "newsletters.subscriber": ["view", "change", "delete"],
        "newsletters.subscription": ["view", "change"],
        "newsletters.erasure": ["view"],
    },
}


def can_publish(user, model: type[models.Model]) -> bool:
    """Whether `user` may publish, schedule, unpublish or archive items of `model`, or change
    anything about an item that is no longer a draft."""
    opts = model._meta
    return user.has_perm(f"{opts.app_label}.publish_{opts.model_name}")


def ensure_roles(*, using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Create the groups in `ROLES`, or reset their permissions to it; safe to run again.
    Returns the number of permissions of each group."""
    # After a fresh migrate, post_migrate may reach us before it has created the permissions of
    # apps listed later in INSTALLED_APPS; creating them here (it skips existing ones) settles it.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)

    counts = {}
    for name, grants in ROLES.items():
        wanted = Q()
        for label, actions in grants.items():
            app_label, model_name = label.split(".")
            codenames = [f"{action}_{model_name}" for action in actions]
            wanted |= Q(
                content_type__app_label=app_label,
                content_type__model=model_name,
                codename__in=codenames,
            )
        permissions = list(Permission.objects.using(using).filter(wanted))
        expected = sum(len(actions) for actions in grants.values())
        if len(permissions) != expected:  # a typo in ROLES, or a model that was renamed
            found = {f"{p.content_type.app_label}.{p.codename}" for p in permissions}
            raise LookupError(f"Group {name!r}: missing permissions; found only {sorted(found)}")
        group, _ = Group.objects.using(using).get_or_create(name=name)
        group.permissions.set(permissions)
        counts[name] = len(permissions)
    return counts


def create_roles(sender, *, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """post_migrate receiver: the groups exist on every database that has been migrated."""
    # `apps` is the migrated state: `migrate contenttypes` alone has no auth tables. `flush` sends
    # no state: the installed apps then.
    try:
        kwargs.get("apps", apps).get_model("auth", "Group")
    except LookupError:
        return
    ensure_roles(using=using)

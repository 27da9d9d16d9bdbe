from django.core.management.base import BaseCommand

from cms.roles import ensure_roles


class Command(BaseCommand):
    help = (
        "Create the Reporter and Editor groups, or reset their permissions to the definition in "
        "cms/roles.py. migrate does this too; safe to rerun."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default", help="Database to set up (default: default).")

    def handle(self, *args, database, **options):
        for group, count in ensure_roles(using=database).items():
            self.stdout.write(self.style.SUCCESS(f"{group}: {count} permissions"))

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from seeds.loader import DOCUMENTS_DIR, SeedError, load_seeds


class Command(BaseCommand):
    help = (
        "Load the seed documents (page text plus metadata) as published articles, videos, topics and "
        "newsletters. Checks every document before writing any; safe to rerun."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--path",
            type=Path,
            default=DOCUMENTS_DIR,
            help="Folder of seed documents: each NAME.txt with its NAME.json (default: seeds/documents).",
        )

    def handle(self, *args, path, **options):
        try:
            result = load_seeds(directory=path)
        except SeedError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(str(result)))

from django.core.management.base import BaseCommand, CommandError

from articles.models import Image


class Command(BaseCommand):
    help = (
        "Make the resized copies (renditions) of every image again, e.g. after the standard widths "
        "changed, or for images uploaded before renditions existed. The previous copies are deleted."
    )

    def handle(self, *args, **options):
        rebuilt, failures = 0, []
        for image in Image.objects.order_by("pk").iterator(chunk_size=100):
            try:
                image.rebuild_renditions()
            except Exception as error:  # a missing or damaged file must not stop the others
                failures.append(f"image {image.pk} ({image.file.name}): {error}")
            else:
                rebuilt += 1
        self.stdout.write(f"Rebuilt the renditions of {rebuilt} image(s).")
        if failures:
            raise CommandError("Could not rebuild:\n" + "\n".join(failures))

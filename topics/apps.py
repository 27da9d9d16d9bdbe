from django.apps import AppConfig


class TopicsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "topics"

    def ready(self):
        from cms.caching import register
        from cms.text import clean_on_save

        # Lists of content filter by their slugs, and their pages list the newest content.
        register(self.get_model("Topic"), key="topic", lists="topics", also={"articles", "videos"})
        register(self.get_model("Section"), key="section", lists="sections", also={"articles", "videos"})
        clean_on_save(self.get_model("Topic"), self.get_model("Section"))  # no control characters

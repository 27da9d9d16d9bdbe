from rest_framework import serializers

from cms.fields import SelectableFieldsMixin
from cms.text import one_line_problem

from .models import Newsletter, Subscription
from .services import normalise_email


class NewsletterSerializer(SelectableFieldsMixin, serializers.ModelSerializer):
    """A newsletter a reader can sign up to."""

    class Meta:
        model = Newsletter
        fields = ["id", "slug", "name", "description", "frequency"]
        extra_kwargs = {"id": {"help_text": "Stable identifier."}}


# --- Signup and self-service (newsletters/views.py). No shape here carries an email address. ---
def no_control_characters(value: str) -> None:
    # Typed by anyone, read by staff in the admin and in CSV exports: no line breaks that make one
    # value look like two, no terminal escape sequences, no bidirectional overrides (cms.text).
    if (problem := one_line_problem(value)) is not None:
        raise serializers.ValidationError(problem)


class SignupSerializer(serializers.Serializer):
    """A signup from a frontend's form. Fields other than these are ignored."""

    email = serializers.EmailField(
        max_length=254,
        help_text="The reader's email address (up to 254 characters; the part before the @ in ASCII). "
        "Surrounding spaces and case do not matter.",
    )
    name = serializers.CharField(
        max_length=150,
        required=False,
        allow_blank=True,
        validators=[no_control_characters],
        help_text="How to greet the reader; optional. No line breaks or other control characters.",
    )
    source = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        validators=[no_control_characters],
        help_text="Where the form was, for the newsroom's figures, e.g. `article-footer`; optional.",
    )

    def validate_email(self, value: str) -> str:
        # Django's EmailValidator matches the part before the @ case-insensitively, which in Unicode
        # lets through a few non-ASCII letters (İ, ı, the Kelvin sign): no mail server takes them,
        # and lower-casing İ makes two characters, so an address could outgrow its column.
        if not value.rpartition("@")[0].isascii():
            raise serializers.ValidationError("Enter a valid email address.")
        try:
            email = normalise_email(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None
        if len(email) > 254:
            raise serializers.ValidationError("Ensure this field has no more than 254 characters.")
        return email


class SignupAcceptedSerializer(serializers.Serializer):
    """The one answer to every accepted signup, whoever the address belongs to."""

    detail = serializers.CharField(help_text="What the reader should do next.")


class NewsletterReferenceSerializer(serializers.ModelSerializer):
    """A newsletter named by its slug and name."""

    class Meta:
        model = Newsletter
        fields = ["slug", "name"]
        extra_kwargs = {
            "slug": {"help_text": "Slug of the newsletter."},
            "name": {"help_text": "Name of the newsletter."},
        }


class SubscriptionOutcomeSerializer(serializers.Serializer):
    """The state of one subscription after a confirmation or unsubscribe link was followed."""

    status = serializers.CharField(help_text="`confirmed` or `unsubscribed`.")
    newsletter = NewsletterReferenceSerializer(help_text="The newsletter the link was for.")


class SubscriptionStateSerializer(serializers.Serializer):
    """One newsletter the reader signed up to, and where that stands."""

    newsletter = NewsletterReferenceSerializer(help_text="The newsletter.")
    status = serializers.ChoiceField(
        choices=Subscription.Status.choices,
        help_text="`pending`: not confirmed yet; `confirmed`: receives it; `unsubscribed`: does not.",
    )


class PreferencesSerializer(serializers.Serializer):
    """What a reader can see and change through their manage link. Never the address itself."""

    name = serializers.CharField(help_text="The name the reader gave, or an empty string.")
    subscriptions = SubscriptionStateSerializer(
        many=True, help_text="Every newsletter the reader signed up to, by name."
    )
    newsletters = NewsletterSerializer(
        many=True, help_text="The newsletters that can be chosen now (the active ones), by name."
    )


class PreferencesUpdateSerializer(serializers.Serializer):
    """The newsletters to receive from now on: all the others are unsubscribed."""

    newsletters = serializers.ListField(
        child=serializers.SlugField(max_length=150, help_text="Slug of an active newsletter."),
        allow_empty=True,
        max_length=100,
        help_text="Slugs of the newsletters to receive; an empty list unsubscribes from all.",
    )

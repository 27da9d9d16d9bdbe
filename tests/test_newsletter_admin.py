"""The admin of newsletters and subscribers: counts, lists, CSV export, erasure, and who sees it."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cms.roles import AUDIENCE, EDITOR, REPORTER
from newsletters.models import Edition, Erasure, Newsletter, Subscriber, Subscription

from .factories import NewsletterFactory

pytestmark = pytest.mark.django_db

Status = Subscription.Status
NEWSLETTERS = reverse("admin:newsletters_newsletter_changelist")
SUBSCRIBERS = reverse("admin:newsletters_subscriber_changelist")
SUBSCRIPTIONS = reverse("admin:newsletters_subscription_changelist")
ERASURES = reverse("admin:newsletters_erasure_changelist")
EXPORT_SUBSCRIBERS = reverse("admin:newsletters_subscriber_export")
EXPORT_SUBSCRIPTIONS = reverse("admin:newsletters_subscription_export")
HEADER = ["email", "name", "newsletter", "status", "source", "created_at", "confirmed_at", "unsubscribed_at"]


def subscribed(email, newsletter, *, status=Status.CONFIRMED, name="", source="", created_at=None):
    """A subscription as the signup flow leaves it, with the dates its status implies."""
    subscriber, _ = Subscriber.objects.get_or_create(email=email, defaults={"name": name})
    created_at = created_at or timezone.now()
    return Subscription.objects.create(
        subscriber=subscriber,
        newsletter=newsletter,
        status=status,
        source=source,
        created_at=created_at,
        confirmed_at=None if status == Status.PENDING else created_at + timedelta(minutes=5),
        unsubscribed_at=created_at + timedelta(days=1) if status == Status.UNSUBSCRIBED else None,
    )


def shown(response):
    """The rows a changelist shows, by their string (the address, for subscribers)."""
    assert response.status_code == 200
    return sorted(str(obj) for obj in response.context["cl"].result_list)


def chosen(response, title, display):
    """The query string of a filter's choice, as the list's sidebar links to it."""
    (spec,) = [spec for spec in response.context["cl"].filter_specs if spec.title == title]
    (choice,) = [c for c in spec.choices(response.context["cl"]) if c["display"] == display]
    return choice["query_string"]


def action(client, changelist, name, *objects, follow=False, **extra):
    data = {"action": name, "index": 0, "_selected_action": [obj.pk for obj in objects], **extra}
    return client.post(changelist, data, follow=follow)


def action_names(client, changelist):
    form = client.get(changelist).context["action_form"]
    return set() if form is None else {name for name, _ in form.fields["action"].choices if name}


def rows_of(response):
    """The CSV a response streams, as a header and a list of rows."""
    assert response.status_code == 200
    assert response.streaming  # never built in memory
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode()
    header, *rows = csv.reader(io.StringIO(text))
    return header, rows


# --- Newsletters: counts -------------------------------------------------------------------
def test_newsletter_list_counts_subscriptions_by_status_and_sent_editions(admin_client):
    daily, weekly = NewsletterFactory(slug="daily"), NewsletterFactory(slug="weekly")
    subscribed("a@example.com", daily, status=Status.PENDING)
    subscribed("b@example.com", daily)
    subscribed("c@example.com", daily)
    subscribed("d@example.com", daily, status=Status.UNSUBSCRIBED)
    subscribed("a@example.com", weekly)
    Edition.objects.create(newsletter=daily, subject="One", status=Edition.Status.SENT)
    Edition.objects.create(newsletter=daily, subject="Two", status=Edition.Status.SENT)
    Edition.objects.create(newsletter=daily, subject="Three")  # a draft

    response = admin_client.get(NEWSLETTERS)

    counts = {
        n.slug: (n.pending_count, n.confirmed_count, n.unsubscribed_count, n.sent_editions_count)
        for n in response.context["cl"].result_list
    }
    assert counts == {"daily": (1, 2, 1, 2), "weekly": (0, 1, 0, 0)}
    for heading in ("Pending", "Confirmed", "Unsubscribed", "Editions sent"):
        assert heading in response.text


def test_newsletter_list_queries_do_not_grow_with_newsletters(admin_client, django_assert_max_num_queries):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(NEWSLETTERS).status_code == 200
        return len(captured)

    first = NewsletterFactory()
    subscribed("a@example.com", first)
    one = queries()
    for index in range(15):
        newsletter = NewsletterFactory()
        subscribed(f"reader{index}@example.com", newsletter, status=Status.PENDING)
        Edition.objects.create(newsletter=newsletter, subject="Sent", status=Edition.Status.SENT)

    assert queries() == one
    with django_assert_max_num_queries(one):
        admin_client.get(NEWSLETTERS)


def test_newsletter_list_keeps_its_search_and_filters(admin_client):
    NewsletterFactory(name="Morning briefing", frequency=Newsletter.Frequency.DAILY)
    NewsletterFactory(name="Defence weekly", frequency=Newsletter.Frequency.WEEKLY, is_active=False)

    assert shown(admin_client.get(NEWSLETTERS, {"q": "morning"})) == ["Morning briefing"]
    assert shown(admin_client.get(NEWSLETTERS, {"frequency__exact": "weekly"})) == ["Defence weekly"]
    assert shown(admin_client.get(NEWSLETTERS, {"is_active__exact": "0"})) == ["Defence weekly"]


def test_a_newsletter_without_subscribers_can_be_deleted(admin_client):
    newsletter = NewsletterFactory()

    action(admin_client, NEWSLETTERS, "delete_selected", newsletter, post="yes")

    assert not Newsletter.objects.filter(pk=newsletter.pk).exists()


def test_a_newsletter_with_subscribers_cannot_be_deleted_in_the_admin(admin_client):
    # Deleting would take its subscriptions with it, and leave their log entries (which name the
    # addresses) behind. Deactivate it instead.
    newsletter = NewsletterFactory()
    subscribed("a@example.com", newsletter)

    response = admin_client.post(
        reverse("admin:newsletters_newsletter_delete", args=[newsletter.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert Subscription.objects.filter(newsletter=newsletter).exists()


# --- Subscribers: list, search, filters ------------------------------------------------------
def test_subscriber_list_shows_confirmed_subscription_counts(audience_client):
    daily, weekly = NewsletterFactory(), NewsletterFactory()
    subscribed("both@example.com", daily, name="Ann Reader")
    subscribed("both@example.com", weekly)
    subscribed("pending@example.com", daily, status=Status.PENDING)

    response = audience_client.get(SUBSCRIBERS)

    counts = {s.email: s.confirmed_count for s in response.context["cl"].result_list}
    assert counts == {"both@example.com": 2, "pending@example.com": 0}
    assert "Ann Reader" in response.text
    assert "Confirmed subscriptions" in response.text


def test_subscriber_list_searches_by_email_and_name(audience_client):
    newsletter = NewsletterFactory()
    subscribed("ann@example.com", newsletter, name="Ann Reader")
    subscribed("bob@example.com", newsletter, name="Bob Smith")

    assert shown(audience_client.get(SUBSCRIBERS, {"q": "ANN@"})) == ["ann@example.com"]
    assert shown(audience_client.get(SUBSCRIBERS, {"q": "smith"})) == ["bob@example.com"]


def test_subscriber_list_filters_by_subscription_status_newsletter_source_and_date(audience_client):
    daily, weekly = NewsletterFactory(name="Daily"), NewsletterFactory(name="Weekly")
    old = timezone.now() - timedelta(days=400)
    subscribed("daily@example.com", daily, source="article-footer")
    subscribed("weekly@example.com", weekly, status=Status.PENDING, source="homepage")
    subscribed("gone@example.com", daily, status=Status.UNSUBSCRIBED, created_at=old)
    Subscriber.objects.filter(email="gone@example.com").update(created_at=old)

    assert shown(audience_client.get(SUBSCRIBERS, {"status": "pending"})) == ["weekly@example.com"]
    assert shown(audience_client.get(SUBSCRIBERS, {"newsletter": daily.pk})) == [
        "daily@example.com",
        "gone@example.com",
    ]
    assert shown(audience_client.get(SUBSCRIBERS, {"source": "homepage"})) == ["weekly@example.com"]
    past_week = chosen(audience_client.get(SUBSCRIBERS), "created at", "Past 7 days")
    assert shown(audience_client.get(SUBSCRIBERS + past_week)) == ["daily@example.com", "weekly@example.com"]


def test_subscriber_filters_chosen_together_describe_one_subscription(audience_client):
    daily, weekly = NewsletterFactory(), NewsletterFactory()
    subscribed("confirmed-daily@example.com", daily)
    # Confirmed to something, and signed up to the daily, but not a confirmed daily reader.
    subscribed("mixed@example.com", weekly)
    subscribed("mixed@example.com", daily, status=Status.PENDING)

    response = audience_client.get(SUBSCRIBERS, {"status": "confirmed", "newsletter": daily.pk})

    assert shown(response) == ["confirmed-daily@example.com"]


@pytest.mark.parametrize(
    "query",
    [{"status": "lapsed"}, {"newsletter": "daily"}, {"newsletter": "\u00b2"}, {"newsletter": "9" * 30}],
)
def test_subscriber_list_answers_an_unknown_filter_value_without_an_error(audience_client, query):
    subscribed("ann@example.com", NewsletterFactory(slug="daily"))

    response = audience_client.get(SUBSCRIBERS, query)

    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_subscriber_page_shows_subscriptions_read_only_and_never_the_token_key(audience_client):
    newsletter = NewsletterFactory(name="Defence weekly")
    subscription = subscribed("ann@example.com", newsletter, source="article-footer")
    subscriber = subscription.subscriber

    response = audience_client.get(reverse("admin:newsletters_subscriber_change", args=[subscriber.pk]))

    assert response.status_code == 200
    assert subscriber.token_key not in response.text
    assert set(response.context["adminform"].form.fields) == {"name"}  # the address cannot change
    (inline,) = response.context["inline_admin_formsets"]
    assert "Defence weekly" in response.text and "article-footer" in response.text
    assert inline.formset.forms[0].fields.keys() <= {"id", "subscriber"}  # nothing to edit


# --- Subscriptions: list, search, filters, actions --------------------------------------------
def test_subscription_list_searches_by_email_and_source(audience_client):
    newsletter = NewsletterFactory()
    subscribed("ann@example.com", newsletter, source="article-footer")
    subscribed("bob@example.com", newsletter, source="homepage")

    assert shown(audience_client.get(SUBSCRIPTIONS, {"q": "bob@"})) == [f"bob@example.com → {newsletter}"]
    assert shown(audience_client.get(SUBSCRIPTIONS, {"q": "footer"})) == [f"ann@example.com → {newsletter}"]


def test_subscription_list_filters_by_status_newsletter_source_and_date(audience_client):
    daily, weekly = NewsletterFactory(name="Daily"), NewsletterFactory(name="Weekly")
    subscribed("a@example.com", daily, source="article-footer")
    subscribed("b@example.com", weekly, status=Status.PENDING, source="homepage")
    subscribed(
        "c@example.com", daily, status=Status.UNSUBSCRIBED, created_at=timezone.now() - timedelta(days=60)
    )

    def emails(query):
        return [s.split(" ")[0] for s in shown(audience_client.get(SUBSCRIPTIONS, query))]

    assert emails({"status__exact": "pending"}) == ["b@example.com"]
    assert emails({"newsletter__id__exact": daily.pk}) == ["a@example.com", "c@example.com"]
    assert emails({"source": "homepage"}) == ["b@example.com"]
    past_week = chosen(audience_client.get(SUBSCRIPTIONS), "created at", "Past 7 days")
    assert [s.split(" ")[0] for s in shown(audience_client.get(SUBSCRIPTIONS + past_week))] == [
        "a@example.com",
        "b@example.com",
    ]


def test_subscription_source_filter_offers_the_sources_in_use(audience_client):
    newsletter = NewsletterFactory()
    subscribed("a@example.com", newsletter, source="homepage")
    subscribed("b@example.com", newsletter, source="homepage")
    subscribed("c@example.com", newsletter, source="article-footer")

    response = audience_client.get(SUBSCRIPTIONS)

    (source_filter,) = [spec for spec in response.context["cl"].filter_specs if spec.title == "source"]
    assert source_filter.lookup_choices == [("homepage", "homepage"), ("article-footer", "article-footer")]


def test_subscription_status_cannot_be_set_by_hand(audience_client):
    subscription = subscribed("ann@example.com", NewsletterFactory(), status=Status.PENDING)
    change = reverse("admin:newsletters_subscription_change", args=[subscription.pk])

    page = audience_client.get(change)
    response = audience_client.post(change, {"status": "confirmed", "source": "phone"})

    assert set(page.context["adminform"].form.fields) == {"source"}
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.status, subscription.confirmed_at, subscription.source) == (
        Status.PENDING,
        None,
        "phone",
    )


def test_unsubscribe_action_records_when_and_logs_it(audience_client):
    subscription = subscribed("ann@example.com", NewsletterFactory())
    already = subscribed("bob@example.com", NewsletterFactory(), status=Status.UNSUBSCRIBED)
    unsubscribed_at = already.unsubscribed_at

    response = action(audience_client, SUBSCRIPTIONS, "unsubscribe_selected", subscription, already)

    assert response.status_code == 302
    subscription.refresh_from_db()
    already.refresh_from_db()
    assert subscription.status == Status.UNSUBSCRIBED
    assert subscription.unsubscribed_at is not None
    assert already.unsubscribed_at == unsubscribed_at  # untouched
    assert LogEntry.objects.filter(object_id=str(subscription.pk)).count() == 1


def test_resend_confirmation_action_sends_to_pending_subscriptions_only(audience_client, settings):
    settings.NEWSLETTER_RESEND_AFTER = 600
    newsletter = NewsletterFactory()
    pending = subscribed("pending@example.com", newsletter, status=Status.PENDING)
    Subscription.objects.filter(pk=pending.pk).update(
        confirmation_sent_at=timezone.now() - timedelta(hours=1)
    )
    just_sent = subscribed("recent@example.com", newsletter, status=Status.PENDING)
    Subscription.objects.filter(pk=just_sent.pk).update(confirmation_sent_at=timezone.now())
    confirmed = subscribed("confirmed@example.com", newsletter)

    action(audience_client, SUBSCRIPTIONS, "resend_confirmation", pending, just_sent, confirmed)

    assert [message.to for message in mail.outbox] == [["pending@example.com"]]
    pending.refresh_from_db()
    assert pending.confirmation_sent_at > timezone.now() - timedelta(minutes=1)
    assert Subscription.objects.get(pk=confirmed.pk).status == Status.CONFIRMED


# --- CSV export ---------------------------------------------------------------------------------
def test_export_selected_subscriptions_as_csv(audience_client):
    newsletter = NewsletterFactory(name="Defence weekly")
    created = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    chosen = subscribed(
        "ann@example.com", newsletter, name="Ann Reader", source="homepage", created_at=created
    )
    subscribed("bob@example.com", newsletter)

    response = action(audience_client, SUBSCRIPTIONS, "export_selected", chosen)

    header, rows = rows_of(response)
    assert header == HEADER
    assert rows == [
        [
            "ann@example.com",
            "Ann Reader",
            "Defence weekly",
            "confirmed",
            "homepage",
            "2025-03-01T09:30:00Z",
            "2025-03-01T09:35:00Z",
            "",
        ]
    ]
    today = timezone.now().strftime("%Y-%m-%d")
    assert response["Content-Disposition"] == f'attachment; filename="subscriptions-{today}.csv"'
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("typed", ["=HYPERLINK(1)", "+1+1", "-2", "@SUM(A1)", "\tname", "\rname"])
def test_export_neutralises_spreadsheet_formulas(audience_client, typed):
    subscription = subscribed("ann@example.com", NewsletterFactory(), name=typed, source=typed)

    _, [row] = rows_of(action(audience_client, SUBSCRIPTIONS, "export_selected", subscription))

    assert row[1] == row[4] == f"'{typed}"


def test_export_all_subscriptions_matching_the_list_filters_and_search(audience_client):
    daily, weekly = NewsletterFactory(), NewsletterFactory()
    subscribed("ann@example.com", daily)
    subscribed("ann.other@example.com", daily, status=Status.PENDING)
    subscribed("ann@example.org", weekly)
    subscribed("bob@example.com", daily)
    query = {"status__exact": "confirmed", "q": "ann"}

    page = audience_client.get(SUBSCRIPTIONS, query)
    response = audience_client.get(EXPORT_SUBSCRIPTIONS, query)

    assert f'href="{EXPORT_SUBSCRIPTIONS}?q=ann&amp;status__exact=confirmed"' in page.text
    header, rows = rows_of(response)
    assert header == HEADER
    assert sorted(row[0] for row in rows) == ["ann@example.com", "ann@example.org"]


def test_export_reads_the_rows_while_it_streams_them(audience_client):
    newsletter = NewsletterFactory()
    Subscription.objects.bulk_create(
        Subscription(subscriber=subscriber, newsletter=newsletter)
        for subscriber in Subscriber.objects.bulk_create(
            Subscriber(email=f"reader{index}@example.com") for index in range(250)
        )
    )

    response = audience_client.get(EXPORT_SUBSCRIPTIONS)
    with CaptureQueriesContext(connection) as reading:
        _, rows = rows_of(response)

    assert len(rows) == 250
    # Not loaded by the view, all at once: read from the database as the response is sent.
    assert ["FROM" in query["sql"] for query in reading.captured_queries] == [True]


def test_export_with_an_unknown_filter_goes_back_to_the_list(audience_client):
    response = audience_client.get(EXPORT_SUBSCRIPTIONS, {"no_such_field": "1"})

    assert response.status_code == 302
    assert response["Location"] == f"{SUBSCRIPTIONS}?e=1"


def test_export_selected_subscribers_lists_all_their_subscriptions(audience_client):
    daily, weekly = NewsletterFactory(name="Daily"), NewsletterFactory(name="Weekly")
    subscribed("ann@example.com", daily, name="Ann")
    subscribed("ann@example.com", weekly, status=Status.UNSUBSCRIBED)
    subscribed("bob@example.com", daily)
    lapsed = Subscriber.objects.create(email="lapsed@example.com")  # no subscriptions left

    ann = Subscriber.objects.get(email="ann@example.com")
    response = action(audience_client, SUBSCRIBERS, "export_selected", ann, lapsed)

    header, rows = rows_of(response)
    assert header == HEADER
    assert sorted((row[0], row[1], row[2], row[3]) for row in rows) == [
        ("ann@example.com", "Ann", "Daily", "confirmed"),
        ("ann@example.com", "Ann", "Weekly", "unsubscribed"),
        ("lapsed@example.com", "", "", ""),
    ]
    assert response["Content-Disposition"].startswith('attachment; filename="subscribers-')


def test_export_all_subscribers_matching_the_filters(audience_client):
    daily, weekly = NewsletterFactory(name="Daily"), NewsletterFactory(name="Weekly")
    subscribed("ann@example.com", daily)
    subscribed("ann@example.com", weekly, status=Status.PENDING)
    subscribed("bob@example.com", weekly)

    response = audience_client.get(EXPORT_SUBSCRIBERS, {"newsletter": daily.pk})

    _, rows = rows_of(response)
    # The filter picks Ann; the file has all of her subscriptions.
    assert sorted((row[0], row[2]) for row in rows) == [
        ("ann@example.com", "Daily"),
        ("ann@example.com", "Weekly"),
    ]


# --- Erasure ------------------------------------------------------------------------------------
def test_erase_asks_for_confirmation_then_forgets_the_subscriber(audience_client, audience):
    subscription = subscribed("ann@example.com", NewsletterFactory(), name="Ann Reader")
    subscriber = subscription.subscriber
    keep = subscribed("bob@example.com", NewsletterFactory())
    # Leave traces in the admin's log: a changed name, an unsubscribe.
    audience_client.post(
        reverse("admin:newsletters_subscriber_change", args=[subscriber.pk]),
        {
            "name": "A. Reader",
            "subscriptions-TOTAL_FORMS": "1",
            "subscriptions-INITIAL_FORMS": "1",
            "subscriptions-0-id": subscription.pk,
            "subscriptions-0-subscriber": subscriber.pk,
        },
    )
    action(audience_client, SUBSCRIPTIONS, "unsubscribe_selected", subscription)
    assert LogEntry.objects.filter(object_repr__contains="ann@example.com").count() == 2
    assert "ann@example.com" in audience_client.get(reverse("admin:index")).text  # recent actions

    confirmation = action(audience_client, SUBSCRIBERS, "erase_selected", subscriber)

    assert confirmation.status_code == 200
    assert "Erase these subscribers completely?" in confirmation.text
    assert "ann@example.com" in confirmation.text
    assert Subscriber.objects.filter(pk=subscriber.pk).exists()  # nothing happened yet

    response = action(audience_client, SUBSCRIBERS, "erase_selected", subscriber, post="yes", follow=True)

    assert response.redirect_chain == [(SUBSCRIBERS, 302)]
    assert "Erased 1 subscriber completely." in response.text
    assert not Subscriber.objects.filter(email="ann@example.com").exists()
    assert not Subscription.objects.filter(pk=subscription.pk).exists()
    assert not LogEntry.objects.filter(object_repr__contains="ann@example.com").exists()
    assert list(Erasure.objects.values_list("via", flat=True)) == ["admin"]
    assert Subscription.objects.filter(pk=keep.pk).exists()
    after = audience_client.get(reverse("admin:index"))
    assert "ann@example.com" not in after.text and "A. Reader" not in after.text
    assert "ann@example.com" not in audience_client.get(ERASURES).text


def test_erase_of_several_reports_a_count_not_the_addresses(audience_client):
    newsletter = NewsletterFactory()
    subscribers = [subscribed(f"reader{i}@example.com", newsletter).subscriber for i in range(3)]

    response = action(audience_client, SUBSCRIBERS, "erase_selected", *subscribers, post="yes", follow=True)

    text = response.content.decode()
    assert "Erased 3 subscribers completely." in text
    assert "reader0@example.com" not in text
    assert not Subscriber.objects.exists()
    assert Erasure.objects.count() == 3


def test_subscribers_and_subscriptions_cannot_be_deleted_only_erased(admin_client):
    subscription = subscribed("ann@example.com", NewsletterFactory())
    subscriber = subscription.subscriber

    assert "delete_selected" not in action_names(admin_client, SUBSCRIBERS)
    assert "delete_selected" not in action_names(admin_client, SUBSCRIPTIONS)
    delete_subscriber = reverse("admin:newsletters_subscriber_delete", args=[subscriber.pk])
    delete_subscription = reverse("admin:newsletters_subscription_delete", args=[subscription.pk])
    assert admin_client.post(delete_subscriber, {"post": "yes"}).status_code == 403
    assert admin_client.post(delete_subscription, {"post": "yes"}).status_code == 403
    action(admin_client, SUBSCRIBERS, "delete_selected", subscriber, post="yes")

    assert Subscription.objects.filter(pk=subscription.pk).exists()
    assert not Erasure.objects.exists()


def test_erasure_list_is_read_only_with_a_total(audience_client):
    Erasure.objects.create(via=Erasure.Via.ADMIN)
    Erasure.objects.create(via=Erasure.Via.LINK)
    erasure = Erasure.objects.create(via=Erasure.Via.LINK)

    response = audience_client.get(ERASURES)

    assert response.status_code == 200
    assert "3 erasures" in response.text
    assert response.context["cl"].model_admin.get_actions(response.wsgi_request) == {}
    assert audience_client.get(reverse("admin:newsletters_erasure_add")).status_code == 403
    delete = reverse("admin:newsletters_erasure_delete", args=[erasure.pk])
    assert audience_client.post(delete, {"post": "yes"}).status_code == 403
    change = audience_client.get(reverse("admin:newsletters_erasure_change", args=[erasure.pk]))
    assert 'name="_save"' not in change.text


# --- Who sees subscribers -------------------------------------------------------------------------
def test_only_the_audience_group_has_permissions_on_subscribers():
    def codenames(name):
        return set(
            Group.objects.get(name=name)
            .permissions.filter(content_type__app_label="newsletters")
            .values_list("codename", flat=True)
        )

    assert not codenames(REPORTER)
    assert not {c for c in codenames(EDITOR) if "subscri" in c or "erasure" in c}
    assert {
        "view_newsletter",
        "view_subscriber",
        "change_subscriber",
        "delete_subscriber",
        "view_subscription",
        "change_subscription",
        "view_erasure",
    } <= codenames(AUDIENCE)
    assert not {c for c in codenames(AUDIENCE) if c.startswith("add_")}


PRIVATE_PAGES = [SUBSCRIBERS, SUBSCRIPTIONS, ERASURES, EXPORT_SUBSCRIBERS, EXPORT_SUBSCRIPTIONS]


@pytest.mark.parametrize("url", PRIVATE_PAGES)
@pytest.mark.parametrize("client_name", ["reporter_client", "desk_editor_client"])
def test_reporters_and_editors_cannot_see_subscribers(request, client_name, url):
    subscribed("ann@example.com", NewsletterFactory())
    client = request.getfixturevalue(client_name)

    response = client.get(url)

    assert response.status_code == 403
    assert "ann@example.com" not in response.content.decode()


def test_editors_cannot_export_or_erase_through_an_action(desk_editor_client):
    subscription = subscribed("ann@example.com", NewsletterFactory())

    exported = action(desk_editor_client, SUBSCRIPTIONS, "export_selected", subscription)
    erased = action(desk_editor_client, SUBSCRIBERS, "erase_selected", subscription.subscriber, post="yes")

    assert exported.status_code == erased.status_code == 403
    assert Subscriber.objects.filter(pk=subscription.subscriber_id).exists()


def test_editors_see_newsletter_counts_but_no_addresses(desk_editor_client):
    newsletter = NewsletterFactory()
    subscribed("ann@example.com", newsletter)

    response = desk_editor_client.get(NEWSLETTERS)
    index = desk_editor_client.get(reverse("admin:index"))

    assert [n.confirmed_count for n in response.context["cl"].result_list] == [1]
    assert SUBSCRIBERS not in index.text and SUBSCRIPTIONS not in index.text


def test_the_audience_group_can_view_and_export_but_not_add(audience_client):
    subscribed("ann@example.com", NewsletterFactory())

    assert shown(audience_client.get(SUBSCRIBERS)) == ["ann@example.com"]
    assert len(shown(audience_client.get(SUBSCRIPTIONS))) == 1
    assert rows_of(audience_client.get(EXPORT_SUBSCRIBERS))[1][0][0] == "ann@example.com"
    assert rows_of(audience_client.get(EXPORT_SUBSCRIPTIONS))[1][0][0] == "ann@example.com"
    assert audience_client.get(reverse("admin:newsletters_subscriber_add")).status_code == 403
    assert audience_client.get(reverse("admin:newsletters_subscription_add")).status_code == 403
    assert audience_client.get(reverse("admin:newsletters_newsletter_add")).status_code == 403
    assert action_names(audience_client, SUBSCRIBERS) == {"export_selected", "erase_selected"}
    assert action_names(audience_client, SUBSCRIPTIONS) == {
        "export_selected",
        "unsubscribe_selected",
        "resend_confirmation",
    }

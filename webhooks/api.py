"""Webhook endpoints through the API, for a partner's or a frontend team's own tooling: a key with
`webhooks:manage` whose owner may manage endpoints in the admin (an Editor). The same write rules
as content (editorial.write_api): If-Match on changes, Idempotency-Key on creates. The signing
secret is in the create answer and in a rotation's, never again."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from editorial import writes
from editorial.write_api import IF_MATCH, WritesMixin, documented_writes
from editorial.write_serializers import WriteSerializer
from partners.scopes import Scope

from .events import EVENT_TYPES
from .models import Endpoint, RotationUnderWay


class EndpointSerializer(WriteSerializer):
    """A URL that receives signed events (Standard Webhooks): the types it wants (none: every
    type) and whether it is active. Switched off by the server when it keeps failing: then
    `disabled_reason` says why; set `is_active` again once it is fixed."""

    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPES),
        required=False,
        help_text="Event types it receives; empty: every type.",
    )

    class Meta:
        model = Endpoint
        fields = [
            "id",
            "url",
            "description",
            "events",
            "is_active",
            "disabled_reason",
            "failing_since",
            "created_at",
        ]
        read_only_fields = ["disabled_reason", "failing_since", "created_at"]


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(
        help_text="The signing secret (`whsec_...`): store it now, it is not shown again."
    )


MANAGE = Scope.WEBHOOKS_MANAGE


@extend_schema_view(
    list=extend_schema(description="The webhook endpoints (`webhooks:manage`)."),
    retrieve=extend_schema(description="A webhook endpoint; its `ETag` is the version for `If-Match`."),
)
@documented_writes(EndpointSerializer, "a webhook endpoint")
class EndpointViewSet(WritesMixin, mixins.ListModelMixin, GenericViewSet):
    write_serializer_class = serializer_class = EndpointSerializer
    queryset = Endpoint.objects.all()
    key_scopes = {
        name: MANAGE
        for name in ("list", "retrieve", "create", "update", "partial_update", "destroy", "rotate_secret")
    }
    location_route = "detail"
    lookup_value_regex = "[0-9]{1,18}"
    filter_backends = []
    edit = None  # its detail is the write shape already

    @property
    def writing(self) -> bool:
        return True  # every route here is credentialed and answers the write shape

    def list(self, request, *args, **kwargs):
        writes.require(request, self.perm("view"))
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, pk=None):
        writes.require(request, self.perm("view"))
        return self.answer(self.get_object())

    def create(self, request, *args, **kwargs):
        response = super().create(request, *args, **kwargs)
        if (
            response.status_code == 201
            and "secret" not in response.data
            and "Idempotent-Replayed" not in response
        ):
            endpoint = Endpoint.objects.get(pk=response.data["id"])
            if endpoint.owner_id is None:
                endpoint.owner = request.user
                endpoint.save(update_fields=["owner"])
            response.data = {**response.data, "secret": endpoint.secret}
        return response

    @extend_schema(
        request=None,
        parameters=[IF_MATCH],
        responses={200: OpenApiResponse(SecretSerializer, description="The new secret.")},
        description="A new signing secret; the old one signs too for WEBHOOK_SECRET_OVERLAP_HOURS, "
        "so that receivers can switch without losing an event.",
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        writes.require(request, self.perm("change"), scope=MANAGE)
        endpoint = self.get_object()
        writes.check_if_match(request, self.current_etag(endpoint))
        try:
            return Response({"secret": endpoint.rotate_secret()})
        except RotationUnderWay as until:
            ends = f"{until.args[0]:%Y-%m-%d %H:%M} UTC"
            raise RotationConflict(
                f"A rotation is under way until {ends}: its old secret still signs."
            ) from None


class RotationConflict(exceptions.APIException):
    status_code = 409
    default_code = "rotation_under_way"

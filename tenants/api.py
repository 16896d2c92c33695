"""API operations about the calling client itself."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants.api_auth import request_client


class ConnectorChoiceSerializer(serializers.Serializer):
    crm = serializers.CharField(allow_blank=True)
    calendar = serializers.CharField(allow_blank=True)
    pos = serializers.CharField(allow_blank=True)


class MeSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField()
    slug = serializers.SlugField()
    agency = serializers.CharField(source="agency.name")
    time_zone = serializers.CharField()
    default_region = serializers.CharField()
    connectors = serializers.SerializerMethodField()

    def get_connectors(self, client: object) -> dict[str, str]:
        return {kind: client.provider_for(kind) for kind in ("crm", "calendar", "pos")}  # type: ignore[attr-defined]

    get_connectors = extend_schema(responses=ConnectorChoiceSerializer)(get_connectors)


class MeView(APIView):
    """The client the API key belongs to."""

    @extend_schema(operation_id="me_retrieve", responses={200: MeSerializer}, tags=["client"])
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request_client(request)).data)

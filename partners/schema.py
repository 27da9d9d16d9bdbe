"""The API key in the OpenAPI schema: its own security scheme, beside the admin session's, and
on each operation the scope it needs of a key (OpenAPI 3.1 lets a non-OAuth requirement list the
roles it needs)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from .authentication import KEYWORD
from .permissions import required_scope


class APIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "partners.authentication.APIKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": f"An API key from the admin, sent as `Authorization: {KEYWORD} <key>`. Each "
            "operation lists the scope it needs of a key; the key acts with its owner's role too. "
            "Public reads need no key: one lifts the anonymous quota.",
        }

    def get_security_requirement(self, auto_schema):
        scope = required_scope(auto_schema.method, auto_schema.view)
        return None if scope is None else {self.name: [scope]}

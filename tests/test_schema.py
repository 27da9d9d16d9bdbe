import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db

RESOURCES = ["articles", "videos", "authors", "sections", "topics", "newsletters"]


@pytest.fixture
def schema(api_client):
    response = api_client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_schema_generates_without_warnings(tmp_path):
    target = tmp_path / "schema.yml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    assert yaml.safe_load(target.read_text())["openapi"].startswith("3.")


def test_schema_describes_every_list_and_detail_endpoint(schema):
    for resource in RESOURCES:
        assert "get" in schema["paths"][f"/api/v1/{resource}/"]
        assert "get" in schema["paths"][f"/api/v1/{resource}/{{slug}}/"]


def test_every_operation_parameter_and_field_has_a_description(schema):
    missing = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if not operation.get("description"):
                missing.append(f"{method.upper()} {path}")
            for parameter in operation.get("parameters", []):
                if not parameter.get("description"):
                    missing.append(f"{method.upper()} {path} ?{parameter['name']}")
    for name, component in schema["components"]["schemas"].items():
        for field, definition in component.get("properties", {}).items():
            if not definition.get("description"):
                missing.append(f"{name}.{field}")

    assert missing == []


def test_every_read_operation_documents_its_errors_as_problem_details(schema):
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/v1/") or "get" not in operations:  # signup and links: POST only
            continue
        responses = operations["get"]["responses"]
        assert responses["404"]["content"]["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/Problem"
        }
        if not path.endswith(("}/", "}/edit/", "}/ninjs/")):  # a list: no path parameter (details have one)
            assert "400" in responses
            names = {p["name"] for p in operations["get"]["parameters"]}
            # Numbered pages, or (change sync) a position to go on from: always a bounded size.
            assert "page_size" in names and names & {"page", "since"}


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_their_assets_locally(api_client, url):
    response = api_client.get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn" not in html.lower()


def test_the_schema_is_built_once_per_process_whatever_the_lang(client, monkeypatch):
    from drf_spectacular.generators import SchemaGenerator

    from config import docs

    monkeypatch.setattr(docs, "_SCHEMAS", {})
    builds = []
    build = SchemaGenerator.get_schema
    monkeypatch.setattr(
        SchemaGenerator, "get_schema", lambda self, *a, **k: builds.append(1) or build(self, *a, **k)
    )

    answers = [client.get("/api/schema/", {"lang": lang}).content for lang in ("", "de", "zz-random", "fr")]

    assert builds == [1] and len(set(answers)) == 1
    assert client.get("/api/schema/", {"version": "2"}).status_code == 400

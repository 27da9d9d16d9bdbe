"""IPTC ninjs 3.3 (News in JSON, https://iptc.org/standards/ninjs/) for syndication: a publicly
visible article or video as one ninjs document for wires and aggregators, and, for a partner's
staging system with `preview:read`, one in any state (a scheduled one embargoed until its time).

The document is made from what the public API serves, by the same functions: the body is the
article detail's `body_html` (from the served blocks, so embeds that are not public stay out) and
its plain text; images are the API's files and renditions; rights carry the publisher's defaults
(articles.rights). Identifiers are the feeds' stable tag URIs, which survive a change of slug.
`documents` makes the document; `serializers` declares its shape for the OpenAPI schema (tests
validate every answer against it and against the IPTC's published JSON Schema, tests/data/);
`views` serves it."""

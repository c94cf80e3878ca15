"""/api/v1: the REST API other systems use (docs/integration.md). `web.api.app.mount` adds it to the HTTP server."""

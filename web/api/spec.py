"""One list of operations that both routes /api/v1 and writes its OpenAPI 3.1 document.

Each handler is declared with `@API.operation(method, path, ...)`: its query model, body model and response
model (pydantic), its success status and the errors it may answer. `API.add_routes(app)` registers the handlers;
`API.document()` builds the document from the same declarations and the models' JSON schemas — nothing is
written twice, so the two cannot disagree.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from web.api.models import Problem

ERROR_TEXT = {
    400: "The request cannot be read (not JSON)",
    401: "No token, or a token that is unknown or revoked",
    403: "The token may not do this (its scope or its agencies)",
    404: "No such resource, or not one this token may see",
    409: "Not possible in the task's current state (e.g. already done)",
    422: "A parameter or a field is invalid; `errors` says which and why",
    429: "Too many requests for this token; retry after the Retry-After header's seconds",
}
COMMON_ERRORS = (401, 422, 429)


@dataclass
class Operation:
    method: str
    path: str  # OpenAPI form, e.g. /tasks/{key}
    handler: Callable
    summary: str
    response: type[BaseModel]
    status: int = 200
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()
    path_params: dict[str, dict] = field(default_factory=dict)  # name → JSON schema
    public: bool = False
    write: bool = False  # needs a write token

    @property
    def operation_id(self) -> str:
        return self.handler.__name__


class Registry:
    def __init__(self, title: str, version: str, description: str):
        self.title, self.version, self.description = title, version, description
        self.operations: list[Operation] = []

    def operation(self, method: str, path: str, *, summary: str, response: type[BaseModel], **kw):
        def add(handler):
            self.operations.append(Operation(method.upper(), path, handler, summary, response, **kw))
            return handler

        return add

    def add_routes(self, app) -> None:
        for op in self.operations:
            route = app.router.add_route(op.method, op.path, _bind(op), name=op.operation_id)
            route.operation = op  # type: ignore[attr-defined]

    def document(self, server_url: str = "/api/v1") -> dict:
        models = {Problem}
        for op in self.operations:
            models |= {m for m in (op.response, op.body) if m is not None}
        _, defs = models_json_schema([(m, "serialization") for m in sorted(models, key=lambda m: m.__name__)]
                                     + [(op.body, "validation") for op in self.operations if op.body],
                                     ref_template="#/components/schemas/{model}")
        schemas = defs.get("$defs", {})
        paths: dict[str, dict] = {}
        for op in self.operations:
            params = [{"name": name, "in": "path", "required": True, "schema": schema}
                      for name, schema in op.path_params.items()]
            if op.query is not None:
                qs = op.query.model_json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(qs.pop("$defs", {}))
                for name, schema in qs.get("properties", {}).items():
                    params.append({"name": name, "in": "query", "required": name in qs.get("required", ()),
                                   "schema": {k: v for k, v in schema.items() if k != "title"},
                                   **({"description": schema["description"]} if "description" in schema else {})})
            responses: dict[str, Any] = {str(op.status): {
                "description": op.summary,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{op.response.__name__}"}}},
            }}
            codes = () if op.public else tuple(sorted(set(op.errors) | set(COMMON_ERRORS)
                                                      | ({403} if op.write else set())
                                                      | ({400} if op.body else set())))
            for code in codes:
                responses[str(code)] = {"$ref": f"#/components/responses/E{code}"}
            entry: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary,
                                     "description": inspect.cleandoc(op.handler.__doc__ or ""), "responses": responses}
            if params:
                entry["parameters"] = params
            if op.body is not None:
                entry["requestBody"] = {"required": True, "content": {"application/json": {
                    "schema": {"$ref": f"#/components/schemas/{op.body.__name__}"}}}}
            entry["security"] = [] if op.public else [{"bearer": []}]
            paths.setdefault(op.path, {})[op.method.lower()] = entry
        problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        return {
            "openapi": "3.1.0",
            "info": {"title": self.title, "version": self.version, "description": self.description},
            "servers": [{"url": server_url}],
            "paths": paths,
            "components": {
                "schemas": schemas,
                "responses": {f"E{c}": {"description": t, "content": problem,
                                        **({"headers": {"Retry-After": {"schema": {"type": "integer"}}}}
                                           if c == 429 else {})}
                              for c, t in ERROR_TEXT.items()},
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                               "description": "A token from `dondoc api-token create`"}},
            },
        }


def _bind(op: Operation):
    async def handle(request):
        return await op.handler(request)

    handle.__name__ = op.operation_id
    return handle

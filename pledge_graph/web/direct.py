"""The commonest reads sent straight to their handler: a GET of a resource IRI, and a GET
or a POST (a query) at the SPARQL endpoint.

A first answer to a bounded lookup takes a few hundred microseconds of work; Starlette's
router and its three middleware layers (server errors, exceptions, CORS), each wrapping
``send`` in a closure of its own, took about a third of the server's time on those
requests (py-spy, 10k corpus, every request a different IRI). This layer, placed where the
application starts, answers them with the same handler, the same exception handlers and
the same CORS headers as the application would, in one call: every other request (another
path or method, a preflight) goes through the application as before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from pledge_graph.web import resources, sparql
from pledge_graph.web.http import cors_headers

__all__ = ["DirectReads"]

Handler = Callable[[Request], Awaitable[Response]]


class DirectReads:
    """ASGI layer over the Starlette application (see the module). Which paths the
    resources' catch-all route answers is read from the application's own routes: a path
    that any other route or mount may match goes through the application."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        exact, prefixes = [], []
        for route in app.routes:
            if isinstance(route, Route) and route.endpoint is resources.resource:
                continue
            path = getattr(route, "path", "")
            if isinstance(route, Mount):
                prefixes.append(path + "/")
                exact.append(path)
            elif "{" in path:
                prefixes.append(path[:path.index("{")])
            else:
                exact.append(path)
        self.elsewhere = frozenset(exact)
        self.prefixes = tuple(prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = self._handler(scope)
        if handler is None:
            await self.app(scope, receive, send)
            return
        scope["app"] = self.app
        request = Request(scope, receive)
        try:
            response = await handler(request)
        except Exception as error:  # noqa: BLE001 - mapped as the application maps it
            response = await self._handled(request, error)
        cors_headers(response.raw_headers)
        await response(scope, receive, send)

    def is_resource(self, path: str) -> bool:
        """Whether ``path`` is answered by the resources' catch-all route."""
        return not (path in self.elsewhere or path.startswith(self.prefixes))

    def _handler(self, scope: Scope) -> Handler | None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD", "POST"):
            return None
        path = scope["path"]
        if path in ("/sparql", "/sparql/"):
            return sparql.endpoint
        if scope["method"] == "POST" or not self.is_resource(path):
            return None
        scope["path_params"] = {"path": path[1:]}
        return resources.resource

    async def _handled(self, request: Request, error: Exception) -> Response:
        """The answer the application's handler for ``error``'s class gives."""
        handlers: dict[Any, Any] = self.app.exception_handlers
        for cls in type(error).__mro__:
            if cls in handlers:
                return await handlers[cls](request, error)  # type: ignore[no-any-return]
        raise error

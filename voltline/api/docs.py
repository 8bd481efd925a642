"""The API's documentation pages, /docs (Swagger UI) and /redoc (ReDoc), without the internet.

FastAPI's own pages load their JavaScript, CSS, favicon (and ReDoc its fonts) from CDNs, so on an
air-gapped site /docs is blank. Here the pages point at copies served by this app from the pinned
`fastapi-offline` package (MIT; it ships swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js and
a favicon), so every request a docs page makes stays on this server. Like /openapi.json, the pages and
their assets need no credentials: they describe the API, and every call made from them still needs a
bearer token.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
ASSETS_URL = "/docs/assets"
# The package and folder holding the assets; StaticFiles checks at start-up that the folder is there.
ASSETS_PACKAGE = ("fastapi_offline", "static")

# Swagger UI would send the whole document to validator.swagger.io for its badge; nothing may leave the site.
SWAGGER_UI_PARAMETERS = {"validatorUrl": None}


def install_docs(app: FastAPI, openapi_url: str) -> None:
    """Serve /docs, /redoc and their assets; the app is made with docs_url=None and redoc_url=None."""
    app.mount(ASSETS_URL, StaticFiles(packages=[ASSETS_PACKAGE]), name="docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = _root_path(request)
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            # The API authenticates by bearer token only: no OAuth2 flow needs a redirect page.
            oauth2_redirect_url=None,
            swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        )

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = _root_path(request)
        return get_redoc_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )


def _root_path(request: Request) -> str:
    # Behind a proxy that mounts the app under a prefix (uvicorn --root-path), links must carry it.
    return str(request.scope.get("root_path", "")).rstrip("/")

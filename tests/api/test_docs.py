"""/docs and /redoc work on an air-gapped site: every asset they load is served by the app itself."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest

from tests.support.wiring import api_app
from voltline.kernel.services import ServiceRegistry

JAVASCRIPT = {"application/javascript", "text/javascript"}
EXPECTED_TYPES = {".js": JAVASCRIPT, ".css": {"text/css"}, ".png": {"image/png"}}


class _References(HTMLParser):
    """Every URL a page makes the browser fetch: script src, link href (stylesheets, icons), img src."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


def references(html: str) -> list[str]:
    parser = _References()
    parser.feed(html)
    return parser.urls


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_load_only_local_assets(anonymous: httpx.AsyncClient, page: str) -> None:
    response = await anonymous.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    # Nothing on the page may name another host: no CDN, no fonts, no validator.
    assert not re.search(r"(https?:)?//[\w.-]+\.[a-z]{2,}", html), html
    urls = references(html)
    assert any(url.endswith(".js") for url in urls), urls
    assert any(url.endswith("favicon.png") for url in urls), urls
    for url in urls:
        assert url.startswith("/docs/assets/"), url
        asset = await anonymous.get(url)
        assert asset.status_code == 200, url
        media_type = asset.headers["content-type"].split(";")[0]
        assert media_type in EXPECTED_TYPES[url[url.rindex(".") :]], (url, media_type)
        assert len(asset.content) > 1000, url
    assert "/openapi.json" in html


async def test_swagger_ui_gets_its_stylesheet_and_sends_nothing_to_a_validator(anonymous: httpx.AsyncClient) -> None:
    html = (await anonymous.get("/docs")).text
    assert "/docs/assets/swagger-ui.css" in references(html)
    assert '"validatorUrl": null' in html


async def test_docs_need_no_credentials_but_the_api_still_does(anonymous: httpx.AsyncClient) -> None:
    assert (await anonymous.get("/docs/assets/swagger-ui-bundle.js")).status_code == 200
    assert (await anonymous.get("/openapi.json")).status_code == 200
    assert (await anonymous.get("/api/v1/stations")).status_code == 401


async def test_an_unknown_asset_is_a_404_in_the_error_shape(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/docs/assets/nothing.js")
    assert response.status_code == 404
    assert response.json() == {
        "detail": "nothing at /docs/assets/nothing.js: see /docs for the endpoints",
        "errors": [],
    }


async def test_links_carry_the_root_path_behind_a_proxy(services: ServiceRegistry) -> None:
    transport = httpx.ASGITransport(app=api_app(services), root_path="/csms")
    async with httpx.AsyncClient(transport=transport, base_url="http://voltline.test") as client:
        html = (await client.get("/csms/docs")).text
    assert all(url.startswith("/csms/docs/assets/") for url in references(html)), references(html)
    assert "/csms/openapi.json" in html

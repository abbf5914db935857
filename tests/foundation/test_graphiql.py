"""GraphiQL works with the network cut off: the page and every asset it links come from the app itself."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.links.append(values["src"] or "")
        if tag == "link" and values.get("href") and values.get("rel") == "stylesheet":
            self.links.append(values["href"] or "")


async def test_graphiql_page_and_every_asset_are_served_locally(client):
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    parser = _Links()
    parser.feed(page.text)
    assert len(parser.links) >= 7, parser.links
    for link in parser.links:
        parts = urlsplit(link)
        assert not parts.scheme, f"{link} would need the network"
        assert not parts.netloc, f"{link} would need the network"
        asset = await client.get(link)
        assert asset.status_code == 200, link
        expected = "text/css" if link.endswith(".css") else "javascript"
        assert expected in asset.headers["content-type"], (link, asset.headers["content-type"])
        assert len(asset.content) > 500, link
    for marker in ("unpkg.", "jsdelivr.", "cdnjs."):
        assert marker not in page.text

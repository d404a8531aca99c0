"""``/`` and ``/widget.js`` come from the static folder (404 in JSON when it has no such file)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app


def test_static_pages_served_when_present(env, tmp_path):
    client = TestClient(create_app(env[0], service=env[1], static_dir=tmp_path / "missing"))
    assert client.get("/").status_code == 404 and client.get("/widget.js").status_code == 404
    assert client.get("/").json()["detail"] == "页面不存在 / Not found."
    (tmp_path / "index.html").write_text("<html>医保</html>", "utf-8")
    (tmp_path / "widget.js").write_text("console.log(1)", "utf-8")
    (tmp_path / "app.css").write_text("body{}", "utf-8")
    client = TestClient(create_app(env[0], service=env[1], static_dir=tmp_path))
    assert "医保" in client.get("/").text
    assert client.get("/widget.js").status_code == 200
    assert client.get("/static/app.css").text == "body{}"


def test_bundled_widget_is_served(client):
    assert "attachShadow" in client.get("/widget.js").text
    assert client.get("/").headers["content-type"].startswith("text/html")


def test_favicon_is_the_bundled_svg(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.text.lstrip().startswith("<svg")
    assert '<link rel="icon" href="/favicon.ico"' in client.get("/").text

"""The dashboard's HTTP side without a socket: the token once in the URL becomes a cookie, nothing
is answered without it, and the server only reads."""

import asyncio

import pytest

from lakegate.dashboard.server import COOKIE, DashboardApp, session_value
from lakegate.dashboard.pages import NotFound

TOKEN = b"t" * 32


def render(path, query):
    if path == "/missing":
        raise NotFound("no page")
    return f"<html>{path} {sorted(query.items())}</html>"


def call(method="GET", path="/", query=b"", headers=()):
    sent = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "query_string": query, "headers": list(headers)}
    asyncio.run(DashboardApp(TOKEN, render)(scope, receive, send))
    start, body = sent
    return start["status"], dict(start["headers"]), body["body"]


def test_without_a_token_nothing_is_served_not_even_the_scripts():
    for path in ("/", "/model/claims_triage", "/static/vega.min.js"):
        status, headers, body = call(path=path)
        assert status == 401 and b"token" in body and headers[b"www-authenticate"] == b"Bearer"
    assert call(query=b"token=wrong-token-of-some-length")[0] == 403
    assert call(headers=[(b"cookie", f"{COOKIE}=forged".encode())])[0] == 401


def test_the_token_in_the_url_is_exchanged_for_a_strict_httponly_cookie_and_dropped_from_the_url():
    status, headers, _ = call(path="/model/x", query=b"token=" + TOKEN + b"&days=7")
    assert status == 303 and headers[b"location"] == b"/model/x?days=7"
    cookie = headers[b"set-cookie"].decode()
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and TOKEN.decode() not in cookie
    value = cookie.split(";")[0]
    status, headers, body = call(path="/model/x", query=b"days=7", headers=[(b"cookie", value.encode())])
    assert status == 200 and body == b"<html>/model/x [('days', '7')]</html>"
    assert headers[b"referrer-policy"] == b"no-referrer" and b"connect-src 'none'" in headers[b"content-security-policy"]


def test_a_bearer_header_works_and_only_reads_are_allowed():
    bearer = [(b"authorization", b"Bearer " + TOKEN)]
    assert call(headers=bearer)[0] == 200
    script = call(path="/static/vega-embed.min.js", headers=bearer)[1]
    assert script[b"content-type"] == b"text/javascript" and script[b"cache-control"] == b"private, max-age=86400"
    assert call(headers=bearer)[1][b"cache-control"] == b"no-store"  # a page is never served from a cache
    assert call(path="/static/other.js", headers=bearer)[0] == 404
    assert call(path="/missing", headers=bearer)[0] == 404
    for method in ("POST", "PUT", "DELETE"):
        assert call(method=method, headers=bearer)[0] == 405


@pytest.mark.parametrize("token", [b"a" * 32, b"b" * 40])
def test_the_cookie_value_is_derived_from_the_token_never_the_token(token):
    assert session_value(token) != token.decode() and len(session_value(token)) == 64


def test_the_local_environment_generates_one_owner_only_token_and_others_refuse_to_start(home, capsys, monkeypatch):
    from lakegate.dashboard import dashboard_token, token_file
    from lakegate.environment import current_environment, load_environment
    from tests.cli import invoke_cli

    monkeypatch.delenv("LAKEGATE_DASHBOARD_TOKEN", raising=False)
    first = dashboard_token(load_environment("local"), home)
    assert first == dashboard_token(load_environment("local"), home) and len(first) >= 32
    assert token_file(home).stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("LAKEGATE_ENV", "dev")
    current_environment.cache_clear()  # the process resolves its environment once
    try:
        code, _, err = invoke_cli(capsys, monkeypatch, "dashboard")
    finally:
        current_environment.cache_clear()
    assert code == 2 and "LAKEGATE_DASHBOARD_TOKEN is not set" in err and first.decode() not in err

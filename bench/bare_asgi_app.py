"""The ceiling bench_serving.py measures Lakegate against: a bare ASGI app under the same uvicorn
(uvloop, httptools, same workers) as `lakegate serve`, that reads the body and answers a fixed
prediction. No auth, no parsing, no model, no log: what the HTTP stack alone costs.

    python -m uvicorn bare_asgi_app:app --app-dir bench --workers 2 --loop uvloop --http httptools
"""

from __future__ import annotations

ANSWER = b'{"predictions": [0]}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(ANSWER)).encode())]


async def app(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    more = True
    while more:  # the whole body, as a server that parses it must read it
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": ANSWER})

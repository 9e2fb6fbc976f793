"""A closed-loop HTTP/1.1 load client: N keep-alive connections, each sending the next request as
soon as its answer arrives, for a fixed time. The same client drives every server in a benchmark.

    python bench/load_client.py URL PATH BODIES_FILE --token T --concurrency 8 --seconds 15 [--trace]

BODIES_FILE holds one request body per line; connections take them in turn. SIGTERM ends the run
early and still prints the document (a fault test stops the load once the server has recovered).

Raw asyncio streams (uvloop) and pre-built request bytes keep the client's own cost per request
small, so the server, not the client, sets the pace. A dropped connection is counted and replaced,
and the run goes on (a fault benchmark measures through a server restart). Prints one JSON
document: requests, errors, dropped, connect failures, throughput, latency percentiles (ms) of the
answered requests and, with --trace, (send time, status or 0 if dropped, served entity, request
id) per request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import time
from urllib.parse import urlsplit

import numpy as np


def request_bytes(host: str, port: int, path: str, body: bytes, token: str | None) -> bytes:
    head = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", "Content-Type: application/json",
            f"Content-Length: {len(body)}", "Connection: keep-alive"]
    if token:
        head.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip().lower()] = value.strip()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    else:  # chunked (MLflow's FastAPI answers carry a length; this is a fallback)
        while True:
            size = int((await reader.readline()).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status, headers


DROPPED = 0  # the status traced for a request whose connection broke before its answer arrived
_DROPS = (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError, ValueError, IndexError)


async def connection(host: str, port: int, payloads: list[bytes], offset: int, until: float, out: list,
                     trace: bool, stats: dict, stop: asyncio.Event) -> None:
    """Send, read, repeat; a dropped connection is counted (and traced) and a new one opened, so a
    benchmark can measure a fault: while the server is down, connecting is retried every 10 ms."""
    i = offset
    writer = None
    try:
        while time.perf_counter() < until and not stop.is_set():
            if writer is None:
                try:
                    reader, writer = await asyncio.open_connection(host, port)
                except OSError:
                    stats["connect_failures"] += 1
                    await asyncio.sleep(0.01)
                    continue
            payload = payloads[i % len(payloads)]
            i += 1
            sent_wall, sent = time.time(), time.perf_counter()
            try:
                writer.write(payload)
                status, headers = await read_answer(reader)
            except _DROPS:
                stats["dropped"] += 1
                out.append((sent_wall, time.perf_counter() - sent, DROPPED, "", ""))
                writer.close()
                writer = None
                continue
            elapsed = time.perf_counter() - sent
            out.append((sent_wall, elapsed, status, headers.get("x-lakegate-served-entity", "") if trace else "",
                        headers.get("x-request-id", "") if trace else ""))
    finally:
        if writer is not None:
            writer.close()


async def run(url: str, path: str, bodies: list[bytes], token: str | None, concurrency: int, seconds: float,
              trace: bool) -> dict:
    parts = urlsplit(url)
    payloads = [request_bytes(parts.hostname, parts.port, path, body, token) for body in bodies]
    out: list = []
    stats = {"dropped": 0, "connect_failures": 0}
    started = time.perf_counter()
    until = started + seconds
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await asyncio.gather(*(connection(parts.hostname, parts.port, payloads, 97 * n, until, out, trace, stats, stop)
                           for n in range(concurrency)))
    wall = time.perf_counter() - started
    latencies = np.array([o[1] for o in out if o[2] != DROPPED]) * 1000.0
    ok = sum(1 for o in out if o[2] == 200)
    result = {
        "requests": len(out), "ok": ok, "errors": len(out) - ok - stats["dropped"], **stats, "seconds": round(wall, 3),
        "throughput_rps": round(ok / wall, 1), "concurrency": concurrency,
        "latency_ms": {q: round(float(np.percentile(latencies, p)), 3) if len(latencies) else None
                       for q, p in (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))},
    }
    if trace:  # (send time, status or 0 when dropped, served entity, request id)
        result["trace"] = [(round(o[0], 6), o[2], o[3], o[4]) for o in out]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("path")
    parser.add_argument("body_file")
    parser.add_argument("--token")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--trace", action="store_true")
    args = parser.parse_args()
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    bodies = [line for line in open(args.body_file, "rb").read().splitlines() if line.strip()]
    print(json.dumps(asyncio.run(run(args.url, args.path, bodies, args.token, args.concurrency, args.seconds, args.trace))))


if __name__ == "__main__":
    main()

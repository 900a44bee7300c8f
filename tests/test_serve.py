"""The HTTP server (`python -m src.serve`) on the registered `newslabel` champion: shapes, limits, errors."""

from __future__ import annotations

import http.client
import json
import os
import select
import socket
import subprocess
import sys
import threading
import time

import pytest
from _trained import REPO, seed_gold

from newslabel.serve.http import DeadlineExceeded, label_pages
from newslabel.serve.pyfunc import OUTPUT_COLUMNS

SHARED = REPO.parent / "shared"
FIXTURES = REPO / "tests" / "fixtures" / "pages"
STARTUP_SECONDS = 120
MAX_BODY, MAX_PAGES = 1_000_000, 5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    """(status, parsed JSON or raw bytes); http.client adds no Content-Type of its own."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        raw = resp.read()
    finally:
        conn.close()
    try:
        return resp.status, json.loads(raw)
    except ValueError:
        return resp.status, raw


def invoke(port: int, payload) -> tuple[int, dict]:
    return call(port, "POST", "/invocations", json.dumps(payload).encode(), {"Content-Type": "application/json"})


def raw_post(port: int, body: bytes) -> tuple[int, bytes]:
    """Send like curl does: stop sending once the server has answered (an early 413), then read the answer."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = f"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    sock.sendall(head.encode())
    sent, answer = 0, b""
    try:
        while sent < len(body) and not select.select([sock], [], [], 0)[0]:
            sent += sock.send(body[sent: sent + 65536])
        while chunk := sock.recv(65536):
            answer += chunk
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        sock.close()
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


@pytest.fixture(scope="module")
def server(trained):
    store = trained.mlruns
    port = free_port()
    env = {**os.environ, "NEWSLABEL_MLRUNS": str(store.resolve()), "MLFLOW_DISABLE_TELEMETRY": "true"}
    # No PATH change: the server must not depend on an activated venv (mlflow models serve exited 127 without one).
    proc = subprocess.Popen([sys.executable, "-m", "src.serve", "--port", str(port), "--max-body-bytes", str(MAX_BODY),
                             "--max-pages", str(MAX_PAGES)], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + STARTUP_SECONDS
        while time.time() < deadline:
            try:
                if call(port, "GET", "/ping")[0] == 200:
                    break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"server exited with {proc.returncode}: {proc.stderr.read().decode()[-500:]}")
                time.sleep(0.5)
        else:
            pytest.fail(f"server not ready after {STARTUP_SECONDS} s")
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_seed_page_as_inputs(server):
    seed = SHARED / "seeds" / "000_0eff458de775143f.txt"
    if not seed.exists():
        pytest.skip("../shared/seeds not found")
    status, answer = invoke(server, {"inputs": [seed.read_text(encoding="utf-8")]})
    assert status == 200
    rows = answer["predictions"]
    gold = seed_gold(SHARED)
    assert [list(r) for r in rows[:1]] == [OUTPUT_COLUMNS]
    assert {r["doc_id"] for r in rows} == {"page-0"} and all(r["error"] is None for r in rows)
    assert [r["line"] for r in rows] == [line for line, _ in gold]
    assert [r["index"] for r in rows] == list(range(len(gold)))
    by_line = {r["line"]: r for r in rows}
    # Hand-checked against the seed's roles.tsv: line 1 "logo" is chrome, line 2 the title, line 6 the byline.
    assert (by_line[1]["text"], by_line[1]["role"], by_line[1]["is_body"]) == ("logo", "chrome", False)
    assert (by_line[2]["role"], by_line[6]["text"], by_line[6]["role"]) == ("title", "Independent21-06-2025", "byline")
    assert (by_line[8]["role"], by_line[8]["is_body"], by_line[8]["error"]) == ("body", True, None)
    assert sum(r["is_body"] == (role == "body") for r, (_, role) in zip(rows, gold)) >= 0.95 * len(gold)
    for r in rows:  # topic, stance and bias are labels of news text only (not of chrome, nor of source lines)
        if r["role"] not in ("body", "related"):
            assert (r["topic"], r["stance"], r["bias"]) == (None, None, None), r
        assert r["role"] != "body" or r["topic"] is not None
        assert r["model_version"].startswith("role:")


def test_records_without_id_html_and_split(server):
    text = (FIXTURES / "tiny-aggregator.txt").read_text(encoding="utf-8")
    html = (FIXTURES / "tiny-news.html").read_text(encoding="utf-8")
    status, answer = invoke(server, {"dataframe_records": [{"text": text}, {"id": "fenwick", "html": html,
                                                                             "url": "https://fenwick.example/l"}]})
    assert status == 200
    rows = answer["predictions"]
    assert list(dict.fromkeys(r["doc_id"] for r in rows)) == ["page-0", "fenwick"]
    html_rows = [r for r in rows if r["doc_id"] == "fenwick"]
    assert html_rows[0]["line"] is None  # an HTML page: passages have no line numbers
    assert "Fenwick library to stay open until nine on Fridays" in [r["text"] for r in html_rows]
    # Every row carries its page's metadata: hand-checked against the fixture's <meta> tags and its byline.
    assert all({k: r[k] for k in ("title", "date", "author", "site_name", "url", "language")} == {
        "title": "Fenwick library to stay open until nine on Fridays", "date": "2024-11-03",
        "author": ["Ada Pennington"], "site_name": "The Fenwick Courier", "url": "https://fenwick.example/l",
        "language": "en"} for r in html_rows)
    status, split = invoke(server, {"dataframe_split": {"columns": ["text"], "data": [[text]]}})
    assert status == 200 and split["predictions"] == [r for r in rows if r["doc_id"] == "page-0"]


def test_bad_pages_are_error_rows(server):
    binary = bytes(range(256)).decode("latin-1") * 8
    status, answer = invoke(server, {"inputs": [binary, "", {"id": "n", "text": 3}, "Logo\nA headline here"]})
    assert status == 200
    rows = answer["predictions"]
    assert [(r["doc_id"], r["error"]) for r in rows[:3]] == [
        ("page-0", "page-0: binary data (control characters), not page text or HTML"),
        ("page-1", "page-1: empty page"),
        ("n", "n: record has no 'text' or 'html' string field")]
    assert all(r["role"] is None for r in rows[:3])
    assert [r["doc_id"] for r in rows[3:]] == ["page-3", "page-3"] and rows[3]["error"] is None


def test_limits_answer_413(server):
    status, body = raw_post(server, b'{"inputs": ["' + b"a" * MAX_BODY + b'"]}')
    assert status == 413
    assert json.loads(body) == {"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "request body is 1,000,016 "
                                "bytes, over the 1,000,000-byte limit (serve.max_body_bytes)"}
    # http.client sends the whole body before it reads: the server reads and drops it, then answers
    status, answer = call(server, "POST", "/invocations", b"[" + b" " * MAX_BODY + b"]",
                          {"Content-Type": "application/json"})
    assert (status, answer["message"]) == (413, "request body is 1,000,002 bytes, over the 1,000,000-byte limit "
                                                "(serve.max_body_bytes)")
    status, answer = invoke(server, {"inputs": ["Logo\nA headline"] * (MAX_PAGES + 1)})
    assert (status, answer) == (413, {"error_code": "REQUEST_LIMIT_EXCEEDED",
                                      "message": "request has 6 pages, over the 5-page limit (serve.max_pages)"})


def test_an_oversized_body_is_dropped_before_the_413_unless_the_client_waits_for_100_continue():
    import asyncio

    from newslabel.serve.http import read_body
    from newslabel.serve.requests import RequestError

    def receiver(parts):
        seen = []

        async def receive():
            seen.append(1)
            return {"type": "http.request", "body": b"x" * 10, "more_body": len(seen) < parts}
        return receive, seen

    for expect, declared, reads in [(False, "30", 3), (True, "30", 0), (False, "31", 0)]:  # 31 > 2 x the limit
        receive, seen = receiver(3)
        with pytest.raises(RequestError) as exc:
            asyncio.run(read_body(receive, declared, 15, expect_continue=expect))
        assert (exc.value.status, len(seen)) == (413, reads)
    receive, seen = receiver(3)  # no Content-Length: the rest is dropped once the limit is passed
    with pytest.raises(RequestError, match="request body is over the 15-byte limit"):
        asyncio.run(read_body(receive, None, 15))
    assert len(seen) == 3


def test_bad_requests_answer_400_without_echo(server):
    payload = json.dumps({"inputs": ["Logo\nA headline"]}).encode()
    assert call(server, "POST", "/invocations", payload) == (400, {
        "error_code": "BAD_REQUEST", "message": "missing Content-Type header: send Content-Type: application/json"})
    status, raw = call(server, "POST", "/invocations", b'{"inputs": ["SECRET-' + b"x" * 100_000,
                       {"Content-Type": "application/json"})
    assert (status, raw) == (400, {"error_code": "MALFORMED_REQUEST",
                                   "message": "request body is not valid JSON (Unterminated string starting at: "
                                              "line 1 column 13)"})
    status, answer = invoke(server, {"rows": [1], "SECRET" * 50: 1})
    assert status == 400 and "SECRETSECRETSECRETSECRET" in answer["message"] and len(answer["message"]) < 160
    assert call(server, "GET", "/version")[1]["model_version"].startswith("role:")


class SlowLabeller:
    """Stands in for the labeller: each page takes `seconds`, and the pages it was given are recorded."""

    def __init__(self, seconds: float):
        self.seconds, self.seen = seconds, []

    def label_page(self, text, doc_id, url=None):
        self.seen.append(doc_id)
        time.sleep(self.seconds)
        return {"passages": [{"doc_id": doc_id, "text": text}]}


def test_deadline_stops_before_the_next_page():
    pages = [{"id": f"p{n}", "text": "Some page text", "url": None} for n in range(4)]
    slow = SlowLabeller(0.2)
    with pytest.raises(DeadlineExceeded, match="^1 of 4 pages labelled$"):
        label_pages(slow, pages, time.monotonic() + 0.1, threading.Event(), 1000)
    assert slow.seen == ["p0"]
    cancelled = threading.Event()
    cancelled.set()
    with pytest.raises(DeadlineExceeded, match="^0 of 4 pages labelled$"):
        label_pages(slow, pages, time.monotonic() + 60, cancelled, 1000)
    assert slow.seen == ["p0"]

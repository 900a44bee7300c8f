"""HTTP serving: the `newslabel` champion behind MLflow's scoring protocol, with the project's limits.

    python -m src.serve [--port 5001] [--workers N] [--model models:/newslabel@champion]   (or `make serve`)

POST /invocations takes `{"inputs": ["<page text>", ...]}`, `{"dataframe_records": [{"id", "text"|"html",
"url"}]}` (ids optional: `page-<n>`) or `{"dataframe_split": {"columns", "data"}}` and answers
`{"predictions": [...]}`, one record a passage; a bad page gives one record whose `error` says why.
GET /ping and /health answer once the model is loaded; /version names the package and model versions.

Why not `mlflow models serve`: it has no body-size or page-count limit, its errors echo the request
body, a missing Content-Type is a 500, and its 504 leaves the work running. Here every limit comes from
configs/serve/default.yaml, errors are one line of JSON `{"error_code", "message"}` that never quote the
body, and the pages of a request are labelled in a worker thread that checks the request's deadline
before each page, so a timed-out request stops at the page it is on.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

from newslabel.config import load_group
from newslabel.serve.requests import (
    JSON_TYPE,
    RequestError,
    check_content_type,
    clip,
    error_json,
    parse_payload,
    request_pages,
    too_large,
)

SETTINGS_ENV = "NEWSLABEL_SERVE_SETTINGS"  # how the settings reach uvicorn's worker processes
log = logging.getLogger("newslabel.serve")


@dataclass(frozen=True)
class Settings:
    model: str
    host: str
    port: int
    workers: int
    max_body_bytes: int
    max_pages: int
    max_page_chars: int
    request_timeout_s: float
    label_threads: int
    limit_concurrency: int
    timeout_keep_alive_s: int
    timeout_worker_healthcheck_s: int
    access_log: bool

    @classmethod
    def from_config(cls, **overrides) -> Settings:
        cfg = dict(load_group("serve"))
        cfg.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**{k: cfg[k] for k in cls.__dataclass_fields__})


class DeadlineExceeded(Exception):
    def __init__(self, done: int, total: int):
        super().__init__(f"{done} of {total} pages labelled")
        self.done, self.total = done, total


def label_pages(labeller, pages: list[dict], deadline: float, cancel: threading.Event, max_chars: int) -> list[dict]:
    """All pages' passage rows; stops before the next page once the deadline passes or the request is gone."""
    from newslabel.serve.pyfunc import error_row, label_page_rows

    rows: list[dict] = []
    for n, page in enumerate(pages):
        if cancel.is_set() or time.monotonic() > deadline:
            raise DeadlineExceeded(n, len(pages))
        if "bad" in page:
            rows.append(error_row(page["id"], f"{page['id']}: {page['bad']}"))
        elif len(page["text"]) > max_chars:
            rows.append(error_row(page["id"], f"{page['id']}: page is {len(page['text']):,} characters, over the "
                                              f"{max_chars:,}-character limit (serve.max_page_chars)"))
        else:
            rows.extend(label_page_rows(labeller, page["text"], page["id"], page["url"]))
    return rows


def _log_stopped(future) -> None:
    """One log line for work stopped by its deadline or a client that went away (and the exception retrieved)."""
    exc = None if future.cancelled() else future.exception()
    if isinstance(exc, DeadlineExceeded):
        log.warning("request stopped (deadline or client gone): %s", exc)
    elif exc is not None:
        log.warning("labelling failed: %s: %s", type(exc).__name__, exc)


def _plain(value):
    """numpy scalars (a label's score) as JSON numbers."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


LINGER_FACTOR = 2  # a body up to this many times the limit is read and dropped before the 413 is sent
LINGER_S = 10.0  # ... for at most this long


async def read_body(receive, declared: str | None, limit: int, expect_continue: bool = False) -> bytes:
    """The request body, refused with 413 once it is known to exceed `limit` bytes.

    Closing a connection with unread request bytes makes the kernel reset it, and the reset can destroy the 413
    before the client reads it; so the rest of a body up to `LINGER_FACTOR` x `limit` is read and dropped first,
    unless the client waits for `100 Continue` (it sends nothing more, and uvicorn sends no 100 unless asked).
    """
    if declared is not None:
        if not declared.strip().isdigit():
            raise RequestError(400, "BAD_REQUEST", "Content-Length is not a number")
        declared_size = int(declared)
        if declared_size > limit:
            if not expect_continue and declared_size <= LINGER_FACTOR * limit:
                await _drop_rest(receive, declared_size)
            raise too_large(declared_size, limit)
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionAbortedError("client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            if message.get("more_body", False):
                await _drop_rest(receive, (LINGER_FACTOR - 1) * limit)
            raise too_large(None, limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _drop_rest(receive, budget: int) -> None:
    """Read and drop up to `budget` more body bytes, for at most `LINGER_S`."""
    async def drop():
        left = budget
        while left > 0:
            message = await receive()
            left -= len(message.get("body", b""))
            if message["type"] == "http.disconnect" or not message.get("more_body", False):
                return
    try:
        await asyncio.wait_for(drop(), timeout=LINGER_S)
    except TimeoutError:
        pass


async def wait_for_disconnect(receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


class App:
    """The ASGI application (plain ASGI: the body is read in chunks so a limit can stop it)."""

    def __init__(self, settings: Settings, labeller=None):
        self.settings, self.labeller = settings, labeller
        self.executor: ThreadPoolExecutor | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self.lifespan(receive, send)
        if scope["type"] != "http":
            return
        route = (scope["method"], scope["path"].rstrip("/") or "/")
        try:
            if route == ("POST", "/invocations"):
                status, body = await self.invocations(scope, receive)
            elif route in (("GET", "/ping"), ("GET", "/health")):
                status, body = 200, b"\n"
            elif route == ("GET", "/version"):
                status, body = 200, self.version()
            elif route[1] in ("/invocations", "/ping", "/health", "/version"):
                raise RequestError(405, "BAD_REQUEST", f"method {clip(scope['method'], 12)} not allowed here")
            else:
                raise RequestError(404, "ENDPOINT_NOT_FOUND", f"no endpoint {clip(scope['path'], 60)}: "
                                                              "POST /invocations, GET /ping, /health, /version")
        except RequestError as exc:
            status, body = exc.status, error_json(exc.code, exc.message)
        except ConnectionAbortedError:
            return
        except Exception as exc:  # never a traceback to the client; the log has it
            log.exception("internal error on %s %s", *route)
            status, body = 500, error_json("INTERNAL_ERROR", f"internal error ({type(exc).__name__}); see the server log")
        headers = [(b"content-type", JSON_TYPE.encode()), (b"content-length", str(len(body)).encode())]
        if status in (408, 413):  # the unread rest of the body cannot be used: close the connection
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def invocations(self, scope, receive) -> tuple[int, bytes]:
        s = self.settings
        deadline = time.monotonic() + s.request_timeout_s
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        check_content_type(headers.get("content-type"))
        try:  # a body trickled in slowly counts against the same deadline
            body = await asyncio.wait_for(read_body(receive, headers.get("content-length"), s.max_body_bytes,
                                                    headers.get("expect", "").lower() == "100-continue"),
                                          timeout=s.request_timeout_s)
        except TimeoutError:
            raise RequestError(408, "DEADLINE_EXCEEDED", f"request body not received within "
                                                         f"{s.request_timeout_s:g} s (serve.request_timeout_s)") from None
        pages = request_pages(parse_payload(body), s.max_pages)
        del body
        cancel = threading.Event()
        loop = asyncio.get_running_loop()
        work = loop.run_in_executor(self.executor, label_pages, self.labeller, pages, deadline, cancel,
                                    s.max_page_chars)
        work.add_done_callback(_log_stopped)
        gone = asyncio.ensure_future(wait_for_disconnect(receive))
        try:
            done, _ = await asyncio.wait({work, gone}, timeout=max(0.0, deadline - time.monotonic()),
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            cancel.set()  # the thread stops before its next page, whatever happened here
            gone.cancel()
        if gone in done:
            raise ConnectionAbortedError("client went away")
        if work not in done:
            raise RequestError(504, "DEADLINE_EXCEEDED", f"request took over {s.request_timeout_s:g} s "
                                                         "(serve.request_timeout_s); its remaining pages were not "
                                                         "started")
        try:
            rows = work.result()
        except DeadlineExceeded as exc:
            raise RequestError(504, "DEADLINE_EXCEEDED", f"request took over {s.request_timeout_s:g} s "
                                                         f"(serve.request_timeout_s); {exc}, the rest not "
                                                         "started") from None
        return 200, json.dumps({"predictions": rows}, ensure_ascii=False, default=_plain).encode("utf-8")

    def version(self) -> bytes:
        from newslabel.version import __version__

        return json.dumps({"newslabel": __version__, "model": self.settings.model,
                           "model_version": self.labeller.model_version}).encode()

    async def lifespan(self, receive, send):
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    if self.labeller is None:
                        self.labeller = await asyncio.to_thread(open_model, self.settings.model)
                except Exception as exc:  # one line, not a traceback, and uvicorn stops the supervisor
                    await send({"type": "lifespan.startup.failed", "message": f"error: {exc}"})
                    return
                self.executor = ThreadPoolExecutor(self.settings.label_threads, thread_name_prefix="label")
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.executor is not None:
                    self.executor.shutdown(wait=False, cancel_futures=True)
                await send({"type": "lifespan.shutdown.complete"})
                return


def open_model(model: str):
    """The labeller of a `newslabel` model URI or folder, in the store of $NEWSLABEL_MLRUNS, else
    $MLFLOW_TRACKING_URI, else the project's mlruns/ (as the batch CLI resolves it)."""
    from newslabel.predict.load import load_labeller

    uri = os.environ.get("MLFLOW_TRACKING_URI") if not os.environ.get("NEWSLABEL_MLRUNS") else None
    return load_labeller(model, tracking_uri=uri)


def create_app() -> App:
    """The app factory uvicorn's worker processes call (the settings come through the environment)."""
    return App(Settings(**json.loads(os.environ[SETTINGS_ENV])))


def main(
    model: str | None = None,
    host: str | None = None,
    port: int | None = None,
    workers: int | None = None,
    timeout: float | None = None,
    max_pages: int | None = None,
    max_body_bytes: int | None = None,
) -> int:
    """Serve until stopped; the exit code (2: the model could not be loaded)."""
    import uvicorn

    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    settings = Settings.from_config(model=model, host=host, port=port, workers=workers, request_timeout_s=timeout,
                                    max_pages=max_pages, max_body_bytes=max_body_bytes)
    common = dict(host=settings.host, port=settings.port, limit_concurrency=settings.limit_concurrency,
                  timeout_keep_alive=settings.timeout_keep_alive_s, access_log=settings.access_log,
                  timeout_worker_healthcheck=settings.timeout_worker_healthcheck_s, log_level="info")
    if settings.workers > 1:
        return serve_workers(settings, common)
    from newslabel.errors import ModelLoadError

    try:  # one worker: load before listening, so a bad model is one line and exit code 2
        labeller = open_model(settings.model)
    except ModelLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(App(settings, labeller), **common)
    return 0


def serve_workers(settings: Settings, options: dict) -> int:
    """N uvicorn worker processes on one socket, each loading the model in its startup; the exit code is 2
    when a worker could not load it (uvicorn's supervisor then stops all of them, but exits 0)."""
    from uvicorn import Config
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    os.environ[SETTINGS_ENV] = json.dumps(asdict(settings))
    config = Config("newslabel.serve.http:create_app", factory=True, workers=settings.workers, **options)
    supervisor = Multiprocess(config, sockets=[config.bind_socket()])
    supervisor.run()
    return 2 if any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes) else 0

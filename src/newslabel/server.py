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

import typer

from .config import load_group

SETTINGS_ENV = "NEWSLABEL_SERVE_SETTINGS"  # how the settings reach uvicorn's worker processes
FORMATS = ("inputs", "instances", "dataframe_records", "dataframe_split")
JSON_TYPE = "application/json"
log = logging.getLogger("newslabel.server")


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


class RequestError(Exception):
    """A request the server refuses: HTTP status, MLflow-style error code, one-line message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def clip(value: object, limit: int = 40) -> str:
    """A short quotation of something the client sent (a key, a type): never more than `limit` characters.

    >>> clip("x" * 100, 10)
    "'xxxxxxxx…"
    """
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_json(code: str, message: str) -> bytes:
    """The one-line error body.

    >>> error_json("BAD_REQUEST", "two\\nlines")
    b'{"error_code": "BAD_REQUEST", "message": "two lines"}'
    """
    return json.dumps({"error_code": code, "message": " ".join(message.split())}).encode()


def too_large(size: int | None, limit: int) -> RequestError:
    amount = f"is {size:,} bytes, over" if size is not None else "is over"
    return RequestError(413, "REQUEST_LIMIT_EXCEEDED",
                        f"request body {amount} the {limit:,}-byte limit (serve.max_body_bytes)")


def check_content_type(value: str | None) -> None:
    if not value:
        raise RequestError(400, "BAD_REQUEST", "missing Content-Type header: send Content-Type: application/json")
    mime, _, params = value.partition(";")
    if mime.strip().lower() != JSON_TYPE:
        raise RequestError(415, "BAD_REQUEST", f"unsupported Content-Type {clip(mime.strip())}: send {JSON_TYPE}")
    charset = params.strip().lower().removeprefix("charset=").strip('"')
    if params.strip() and charset not in ("utf-8", "utf8"):
        raise RequestError(415, "BAD_REQUEST", f"unsupported Content-Type parameter {clip(params.strip())}: "
                                               "only charset=utf-8")


def parse_payload(body: bytes) -> dict:
    """The JSON object of a request body; the errors name the position, never the content."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RequestError(400, "MALFORMED_REQUEST", f"request body is not UTF-8 (byte {exc.start:,})") from None
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RequestError(400, "MALFORMED_REQUEST", f"request body is not valid JSON ({exc.msg}: line "
                                                     f"{exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise RequestError(400, "MALFORMED_REQUEST", "request body is nested too deeply") from None
    if not isinstance(payload, dict):
        raise RequestError(400, "BAD_REQUEST", f"request body must be a JSON object with one of {', '.join(FORMATS)}; "
                                               f"got a JSON {type(payload).__name__}")
    return payload


def payload_records(payload: dict) -> list:
    """The request's pages as a list (records or page texts), in MLflow's input formats."""
    keys = [k for k in payload if k in FORMATS]
    unknown = [k for k in payload if k not in FORMATS and k != "params"]
    if len(keys) != 1 or unknown:
        found = ", ".join(clip(k, 30) for k in list(payload)[:5]) or "none"
        raise RequestError(400, "BAD_REQUEST", f"request body must have exactly one of {', '.join(FORMATS)} "
                                               f"(keys found: {found})")
    if payload.get("params"):
        raise RequestError(400, "BAD_REQUEST", "params are not supported by this model")
    key, data = keys[0], payload[keys[0]]
    if key == "dataframe_split":
        return split_records(data)
    if key != "dataframe_records" and isinstance(data, dict):
        return column_records(key, data)
    if not isinstance(data, list):
        raise RequestError(400, "BAD_REQUEST", f"{key} must be a list of pages; got a JSON {type(data).__name__}")
    return data


def column_records(key: str, columns: dict) -> list[dict]:
    """{"id": [...], "text": [...]} -> records (the columnar form of `inputs`)."""
    if not all(isinstance(v, list) for v in columns.values()) or len({len(v) for v in columns.values()}) > 1:
        raise RequestError(400, "BAD_REQUEST", f"{key} as columns must map each column to a list of equal length")
    n = len(next(iter(columns.values()), []))
    return [{c: columns[c][i] for c in columns} for i in range(n)]


def split_records(split) -> list[dict]:
    """{"columns": [...], "data": [[...], ...]} -> records."""
    if not isinstance(split, dict) or not isinstance(split.get("columns"), list) \
            or not isinstance(split.get("data"), list):
        raise RequestError(400, "BAD_REQUEST", "dataframe_split must be an object with lists 'columns' and 'data'")
    columns = split["columns"]
    if any(not isinstance(row, list) or len(row) != len(columns) for row in split["data"]):
        raise RequestError(400, "BAD_REQUEST", f"every row of dataframe_split.data must be a list of "
                                               f"{len(columns)} values (one a column)")
    return [dict(zip(columns, row)) for row in split["data"]]


def request_pages(payload: dict, max_pages: int) -> list[dict]:
    """Records or page texts -> [{"id", "text", "url"}]; a record that is not a page keeps a `bad` reason."""
    records = payload_records(payload)
    if len(records) > max_pages:
        raise RequestError(413, "REQUEST_LIMIT_EXCEEDED",
                           f"request has {len(records):,} pages, over the {max_pages:,}-page limit (serve.max_pages)")
    return [page_of(n, rec) for n, rec in enumerate(records)]


def page_of(n: int, rec) -> dict:
    if isinstance(rec, str):
        return {"id": f"page-{n}", "text": rec, "url": None}
    if not isinstance(rec, dict):
        return {"id": f"page-{n}", "text": None, "url": None,
                "bad": f"not a page: a JSON {type(rec).__name__}, not a string or an object"}
    doc_id = rec.get("id")
    doc_id = f"page-{n}" if doc_id is None or doc_id == "" else str(doc_id)[:200]
    url = rec.get("url") if isinstance(rec.get("url"), str) else None
    text = rec.get("text") if rec.get("text") is not None else rec.get("html")
    if not isinstance(text, str):
        return {"id": doc_id, "text": None, "url": url, "bad": "record has no 'text' or 'html' string field"}
    return {"id": doc_id, "text": text, "url": url}


class DeadlineExceeded(Exception):
    def __init__(self, done: int, total: int):
        super().__init__(f"{done} of {total} pages labelled")
        self.done, self.total = done, total


def label_pages(labeller, pages: list[dict], deadline: float, cancel: threading.Event, max_chars: int) -> list[dict]:
    """All pages' passage rows; stops before the next page once the deadline passes or the request is gone."""
    from .serving import error_row, label_page_rows

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


async def read_body(receive, declared: str | None, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed `limit` bytes."""
    if declared is not None:
        if not declared.strip().isdigit():
            raise RequestError(400, "BAD_REQUEST", "Content-Length is not a number")
        if int(declared) > limit:
            raise too_large(int(declared), limit)
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionAbortedError("client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large(None, limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


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
            body = await asyncio.wait_for(read_body(receive, headers.get("content-length"), s.max_body_bytes),
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
        from . import __version__

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
    from .predict import load_labeller

    uri = os.environ.get("MLFLOW_TRACKING_URI") if not os.environ.get("NEWSLABEL_MLRUNS") else None
    return load_labeller(model, tracking_uri=uri)


def create_app() -> App:
    """The app factory uvicorn's worker processes call (the settings come through the environment)."""
    return App(Settings(**json.loads(os.environ[SETTINGS_ENV])))


cli = typer.Typer(add_completion=False, help=__doc__)


@cli.command()
def main(
    model: str = typer.Option(None, "--model", help="A newslabel model URI or folder [serve.model]."),
    host: str = typer.Option(None, "--host", help="Address to listen on [serve.host: 127.0.0.1]."),
    port: int = typer.Option(None, "--port", "-p", help="Port [serve.port: 5001]."),
    workers: int = typer.Option(None, "--workers", "-w", help="Processes, each with its model [serve.workers: 1]."),
    timeout: float = typer.Option(None, "--timeout", help="Seconds a request may take [serve.request_timeout_s]."),
    max_pages: int = typer.Option(None, "--max-pages", help="Pages a request [serve.max_pages]."),
    max_body_bytes: int = typer.Option(None, "--max-body-bytes", help="Bytes a request [serve.max_body_bytes]."),
) -> None:
    import uvicorn

    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    settings = Settings.from_config(model=model, host=host, port=port, workers=workers, request_timeout_s=timeout,
                                    max_pages=max_pages, max_body_bytes=max_body_bytes)
    common = dict(host=settings.host, port=settings.port, limit_concurrency=settings.limit_concurrency,
                  timeout_keep_alive=settings.timeout_keep_alive_s, access_log=settings.access_log,
                  timeout_worker_healthcheck=settings.timeout_worker_healthcheck_s, log_level="info")
    if settings.workers > 1:
        raise typer.Exit(code=serve_workers(settings, common))
    from .predict import ModelLoadError

    try:  # one worker: load before listening, so a bad model is one line and exit code 2
        labeller = open_model(settings.model)
    except ModelLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(code=2) from None
    uvicorn.run(App(settings, labeller), **common)


def serve_workers(settings: Settings, options: dict) -> int:
    """N uvicorn worker processes on one socket, each loading the model in its startup; the exit code is 2
    when a worker could not load it (uvicorn's supervisor then stops all of them, but exits 0)."""
    from uvicorn import Config
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    os.environ[SETTINGS_ENV] = json.dumps(asdict(settings))
    config = Config("newslabel.server:create_app", factory=True, workers=settings.workers, **options)
    supervisor = Multiprocess(config, sockets=[config.bind_socket()])
    supervisor.run()
    return 2 if any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes) else 0

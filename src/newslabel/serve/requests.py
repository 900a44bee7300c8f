"""HTTP request bodies -> pages: MLflow's scoring formats (`inputs`, `instances`, `dataframe_records`,
`dataframe_split`), checked, with a one-line JSON error for anything else."""

from __future__ import annotations

import json

FORMATS = ("inputs", "instances", "dataframe_records", "dataframe_split")
JSON_TYPE = "application/json"


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

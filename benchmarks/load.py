"""Load on the HTTP server, bounded and loopback only: req/s, pages/s, p50/p99 latency, server peak RSS.

    python benchmarks/load.py [--server ours|mlflow] [--workers 1] [--clients 1,4,16] [--requests 48]
                              [--time-limit 60] [--abuse full|light|none] [--url http://127.0.0.1:PORT --pid PID]

Starts the server on a free 127.0.0.1 port against the project's store (`ours`: python -m src.serve;
`mlflow`: mlflow models serve, the server before src.serve existed), or uses a running one at --url (127.0.0.1
only; --pid gives its process for the memory figure). At each client count, each client thread posts one
sample page (data/sample/pages, original text) a request, `{"dataframe_records": [{"id", "text"}]}`, until
--requests requests are answered or --time-limit seconds pass, whichever is first. Then the abuse checks
(`full`: a 50 MB body, 1,000 pages in one request, a 5 MB malformed body, no Content-Type; `light` leaves out
the first two, which keep `mlflow models serve` computing for minutes). Prints the figures and logs them to the
MLflow experiment `benchmark-load` with the git commit; the server it started is stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import select
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "data" / "sample" / "pages"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
STARTUP_S = 240


def sample_pages() -> list[tuple[str, str]]:
    files = sorted(p for p in PAGES.rglob("*") if p.suffix in (".txt", ".html"))
    return [(p.stem, p.read_text(encoding="utf-8")) for p in files]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(kind: str, workers: int) -> tuple[subprocess.Popen, str]:
    port, bindir = free_port(), Path(sys.executable).parent
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "HF_HUB_OFFLINE": "1",
           "NEWSLABEL_MLRUNS": str(ROOT / "mlruns"), "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}",
           "MLFLOW_TRACKING_URI": f"sqlite:///{ROOT / 'mlruns' / 'mlflow.db'}"}
    if kind == "ours":
        cmd = [sys.executable, "-m", "src.serve", "--port", str(port), "--workers", str(workers)]
    else:
        cmd = [str(bindir / "mlflow"), "models", "serve", "-m", "models:/newslabel@champion", "--env-manager",
               "local", "-h", "127.0.0.1", "-p", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # its own process group, so stopping it reaches the workers
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"error: the {kind} server exited with code {proc.returncode} before answering /ping")
        try:
            if request(url, "GET", "/ping")[0] == 200:
                return proc, url
        except OSError:
            time.sleep(0.5)
    stop_server(proc)
    sys.exit(f"error: the {kind} server did not answer /ping within {STARTUP_S} s")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def request(url: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
            conn: http.client.HTTPConnection | None = None, timeout: float = 120) -> tuple[int, bytes]:
    u = urlparse(url)
    c = conn or http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        resp = c.getresponse()
        return resp.status, resp.read()
    finally:
        if conn is None:
            c.close()


def descendants(pid: int) -> list[int]:
    """pid and every process below it (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def peak_rss_mb(pid: int | None) -> tuple[float, float]:
    """(largest, summed) VmHWM of the server's processes, MB; (nan, nan) when unknown."""
    if pid is None:
        return float("nan"), float("nan")
    peaks = []
    for p in descendants(pid):
        try:
            line = next(x for x in Path(f"/proc/{p}/status").read_text().splitlines() if x.startswith("VmHWM"))
            peaks.append(int(line.split()[1]) / 1024)
        except (OSError, StopIteration):
            continue
    return (max(peaks), sum(peaks)) if peaks else (float("nan"), float("nan"))


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of the server's processes so far; nan when unknown. On a shared machine this,
    not req/s, says what a request costs: capacity is about cores / CPU seconds a request."""
    if pid is None:
        return float("nan")
    total = 0.0
    for p in descendants(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            continue
    return total


def load_level(url: str, pages: list[tuple[str, str]], clients: int, n_requests: int, time_limit: float) -> dict:
    """`clients` threads posting one page a request until n_requests are answered or time_limit passes."""
    lock, latencies, failures = threading.Lock(), [], []
    issued = [0]
    stop_at = time.monotonic() + time_limit

    def client(k: int) -> None:
        u = urlparse(url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=max(5.0, time_limit))
        while time.monotonic() < stop_at:
            with lock:
                if issued[0] >= n_requests:
                    break
                n = issued[0]
                issued[0] += 1
            doc_id, text = pages[n % len(pages)]
            body = json.dumps({"dataframe_records": [{"id": doc_id, "text": text}]}).encode()
            t0 = time.perf_counter()
            try:
                status, _ = request(url, "POST", "/invocations", body, {"Content-Type": "application/json"}, conn)
            except OSError as exc:
                status = type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=max(5.0, time_limit))
            with lock:
                (latencies if status == 200 else failures).append(time.perf_counter() - t0 if status == 200
                                                                   else status)
        conn.close()

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=time_limit + 120)
    elapsed = time.perf_counter() - start
    lat = sorted(latencies)
    pct = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000) if lat else (lambda q: float("nan"))
    return {"clients": clients, "ok": len(lat), "failed": len(failures), "seconds": elapsed,
            "req_per_s": len(lat) / elapsed, "pages_per_s": len(lat) / elapsed,
            "p50_ms": statistics.median(lat) * 1000 if lat else float("nan"), "p99_ms": pct(0.99),
            "failures": sorted({str(f) for f in failures})}


def post_raw(url: str, body: bytes, content_type: str | None = "application/json", timeout: float = 120) -> dict:
    """POST a large body the way curl does: stop sending as soon as the server answers (e.g. an early 413)."""
    u = urlparse(url)
    head = ["POST /invocations HTTP/1.1", f"Host: {u.hostname}:{u.port}", f"Content-Length: {len(body)}",
            "Connection: close"] + ([f"Content-Type: {content_type}"] if content_type else [])
    t0 = time.perf_counter()
    sock = socket.create_connection((u.hostname, u.port), timeout=timeout)
    sent, answer = 0, b""
    try:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        while sent < len(body):
            if select.select([sock], [], [], 0)[0]:
                break  # the server answered before the body was all sent
            sent += sock.send(body[sent: sent + (1 << 18)])
        while chunk := sock.recv(1 << 16):
            answer += chunk
    except (BrokenPipeError, ConnectionResetError) as exc:
        if not answer:
            try:
                answer = sock.recv(1 << 16)
            except OSError:
                answer = f"HTTP/1.1 000 {type(exc).__name__}\r\n\r\n".encode()
    except TimeoutError:
        answer = answer or b"HTTP/1.1 000 client-timeout\r\n\r\n"
    finally:
        sock.close()
    status_line, _, rest = answer.partition(b"\r\n")
    payload = rest.partition(b"\r\n\r\n")[2]
    return {"status": int(status_line.split()[1]) if len(status_line.split()) > 1 else 0,
            "seconds": round(time.perf_counter() - t0, 3), "sent_bytes": sent, "response_bytes": len(payload),
            "response": payload[:300].decode("utf-8", "replace")}


def abuse_checks(url: str, pages: list[tuple[str, str]], mode: str) -> dict[str, dict]:
    short = pages[0][1][:1500]
    checks = {}
    if mode == "full":
        checks["body_50mb"] = post_raw(url, b'{"inputs": ["' + b"a" * (50 << 20) + b'"]}')
        checks["pages_1000"] = post_raw(url, json.dumps({"inputs": [short] * 1000}).encode())
    checks["malformed_5mb"] = post_raw(url, b'{"inputs": ["' + b"x" * (5 << 20) + b'", ')
    checks["no_content_type"] = post_raw(url, json.dumps({"inputs": [short]}).encode(), content_type=None)
    return checks


def log_to_mlflow(args, levels: list[dict], rss: tuple[float, float], checks: dict) -> None:
    from newslabel.tracking import store as tracking

    tracking.configure(ROOT / "mlruns")
    commit = tracking.git_commit(ROOT)
    params = {"server": args.server, "workers": args.workers, "requests": args.requests,
              "time_limit_s": args.time_limit, "clients": args.clients, "pages_per_request": 1,
              "pages": "data/sample/pages (42)", "abuse": args.abuse, "cpus": os.cpu_count()}
    tags = {"git_commit": commit, "mlflow.source.git.commit": commit}
    with tracking.run("benchmark-load", ROOT / "mlruns", f"load-{args.server}-w{args.workers}", params, tags):
        metrics = {"server_peak_rss_mb": rss[0], "server_peak_rss_sum_mb": rss[1], "loadavg_1m": args.loadavg}
        for lv in levels:
            for key in ("req_per_s", "pages_per_s", "p50_ms", "p99_ms", "failed", "cpu_ms_per_req"):
                metrics[f"c{lv['clients']}_{key}"] = lv[key]
        for name, c in checks.items():
            metrics |= {f"{name}_status": c["status"], f"{name}_s": c["seconds"],
                        f"{name}_response_bytes": c["response_bytes"]}
        tracking.log_metrics({k: v for k, v in metrics.items() if v == v})  # NaN: not measured


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=("ours", "mlflow"), default="ours")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--url", help="a running server on 127.0.0.1 (then --server and --workers only label)")
    parser.add_argument("--pid", type=int, help="with --url: the server's process, for peak RSS")
    parser.add_argument("--clients", default="1,4,16")
    parser.add_argument("--requests", type=int, default=48, help="requests at each client count")
    parser.add_argument("--time-limit", type=float, default=60, help="seconds at each client count, at most")
    parser.add_argument("--abuse", choices=("full", "light", "none"), default="full")
    parser.add_argument("--no-log", action="store_true", help="do not log to MLflow")
    args = parser.parse_args()
    if args.url and urlparse(args.url).hostname not in LOOPBACK:
        print(f"error: {args.url}: only loopback servers (127.0.0.1) are load-tested", file=sys.stderr)
        return 2
    pages = sample_pages()
    args.loadavg = os.getloadavg()[0]  # other work on the machine: read the rates against it
    proc, url = (None, args.url.rstrip("/")) if args.url else start_server(args.server, args.workers)
    pid = proc.pid if proc else args.pid
    try:
        levels = []
        print(f"{args.server} w{args.workers}: machine load average {os.getloadavg()[0]:.1f} on "
              f"{os.cpu_count()} CPUs at the start", flush=True)
        for clients in (int(c) for c in args.clients.split(",")):
            cpu0 = cpu_seconds(pid)
            lv = load_level(url, pages, clients, args.requests, args.time_limit)
            lv["cpu_ms_per_req"] = (cpu_seconds(pid) - cpu0) * 1000 / max(1, lv["ok"] + lv["failed"])
            levels.append(lv)
            print(f"{args.server} w{args.workers} c{clients:<2}: {lv['ok']} ok, {lv['failed']} failed "
                  f"{lv['failures'] or ''} in {lv['seconds']:.1f} s: {lv['req_per_s']:.2f} req/s, "
                  f"{lv['pages_per_s']:.2f} pages/s, p50 {lv['p50_ms']:.0f} ms, p99 {lv['p99_ms']:.0f} ms, "
                  f"server CPU {lv['cpu_ms_per_req']:.0f} ms a request", flush=True)
        checks = abuse_checks(url, pages, args.abuse) if args.abuse != "none" else {}
        for name, c in checks.items():
            print(f"{args.server} w{args.workers} {name}: HTTP {c['status']} in {c['seconds']:.2f} s, "
                  f"{c['response_bytes']:,}-byte answer: {c['response'][:160]!r}", flush=True)
        rss = peak_rss_mb(pid)
        print(f"{args.server} w{args.workers} server peak RSS: largest process {rss[0]:.0f} MB, "
              f"all processes {rss[1]:.0f} MB")
    finally:
        if proc is not None:
            stop_server(proc)
    if not args.no_log:
        log_to_mlflow(args, levels, rss, checks)
    return 0


if __name__ == "__main__":
    sys.exit(main())

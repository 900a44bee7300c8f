"""Linux process checks for the batch labeller's workers (read from /proc): who a process's children are, and
whether a process is still alive (a zombie counts as dead). Used by the soak benchmark and the batch tests."""

from __future__ import annotations

from pathlib import Path


def children(pid: int) -> list[int]:
    """The pids whose parent is `pid` (empty where /proc is absent)."""
    kids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and f"PPid:\t{pid}\n" in (entry / "status").read_text():
                kids.append(int(entry.name))
        except OSError:
            continue
    return kids


def alive(pid: int) -> bool:
    """True while `pid` runs; False once it has exited or is a zombie."""
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False

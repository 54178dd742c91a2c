"""CSV tables of a run (metrics.csv, Table 1, sweep summaries), written atomically."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from boltzprune.io import atomic_write_text

__all__ = ["csv_text", "write_csv", "read_csv", "final_round_rows"]


def _as_dict(row: Any) -> Mapping[str, Any]:
    """A row as its cells: lists as JSON, None as an empty cell."""
    d = dataclasses.asdict(row) if dataclasses.is_dataclass(row) else row
    return {k: json.dumps(v) if isinstance(v, list) else v for k, v in d.items()}


def csv_text(rows: Iterable[Any]) -> str:
    """Rows (dicts or dataclasses) as CSV; the columns are the union of the rows' keys in
    first-seen order, missing and None cells empty, lists as JSON."""
    rows = [_as_dict(r) for r in rows]
    buf = io.StringIO()
    fields = list(dict.fromkeys(k for r in rows for k in r))
    w = csv.DictWriter(buf, fieldnames=fields, restval="")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def write_csv(path: Path, rows: Iterable[Any]) -> None:
    atomic_write_text(path, csv_text(rows))


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def final_round_rows(run_dir: Path, iterations: int) -> list[dict[str, str]]:
    """The rows of a finished run's metrics.csv that describe a pruned model after the last
    of ``iterations`` rounds (what a sweep summary aggregates)."""
    return [r for r in read_csv(run_dir / "metrics.csv")
            if r["criterion"] != "none" and int(r["iteration"]) == iterations]

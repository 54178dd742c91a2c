"""docs/errors.md lists every bad input we try and its message; keep it in step."""

import importlib.util
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_error_table_is_current():
    spec = importlib.util.spec_from_file_location("make_error_table",
                                                  DOCS / "make_error_table.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    text = mod.build()
    assert "exit 0" not in text and "(no error)" not in text
    assert text == (DOCS / "errors.md").read_text(), \
        "docs/errors.md is stale: run python docs/make_error_table.py"

"""Experiment configs from TOML: the presets shipped in ``boltzprune/presets/``, users'
files, and ``--set key.path=value`` overrides, all checked by the typed config loaders."""

from __future__ import annotations

import difflib
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from boltzprune._validate import BoltzpruneError
from boltzprune.experiments.config import (
    DBMMnistConfig,
    RBMPatchesConfig,
    config_to_dict,
    dbm_mnist_config_from_dict,
    rbm_patches_config_from_dict,
    typed_config,
)

__all__ = ["EXPERIMENTS", "preset_names", "preset_text", "preset_summary", "read_toml",
           "load_config_source", "apply_overrides", "set_value", "plain", "drop_none",
           "config_from_source", "with_overrides"]

# experiment name -> (config class, loader from a dict)
EXPERIMENTS = {"rbm-patches": (RBMPatchesConfig, rbm_patches_config_from_dict),
               "dbm-mnist": (DBMMnistConfig, dbm_mnist_config_from_dict)}


def _preset_dir():
    return resources.files("boltzprune") / "presets"


def preset_names() -> list[str]:
    """Names of the shipped presets (file names without ``.toml``)."""
    return sorted(p.name[:-5] for p in _preset_dir().iterdir() if p.name.endswith(".toml"))


def preset_text(name: str) -> str:
    """The TOML text of a shipped preset."""
    if name not in preset_names():
        close = difflib.get_close_matches(name, preset_names(), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise BoltzpruneError(f"unknown preset {name!r}{hint} (available: "
                              f"{', '.join(preset_names())})")
    return (_preset_dir() / f"{name}.toml").read_text(encoding="utf-8")


def preset_summary(name: str) -> tuple[str, str]:
    """(experiment, first comment line) of a preset, for listings."""
    text = preset_text(name)
    first = next((ln.lstrip("# ").strip() for ln in text.splitlines() if ln.startswith("#")), "")
    return tomllib.loads(text).get("experiment", "?"), first


def read_toml(path: str | Path) -> dict:
    """A TOML file as a dict; missing or malformed files are one-line errors."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise BoltzpruneError(f"{path}: config file not found") from None
    except IsADirectoryError:
        raise BoltzpruneError(f"{path}: is a folder, not a config file") from None
    except tomllib.TOMLDecodeError as e:
        raise BoltzpruneError(f"{path}: not valid TOML ({e})") from None
    except UnicodeDecodeError:
        raise BoltzpruneError(f"{path}: not a text file") from None


def load_config_source(source: str) -> tuple[dict, str]:
    """The settings in ``source`` (a shipped preset's name or a TOML file) and a label for
    error messages."""
    if Path(source).is_file() or Path(source).suffix == ".toml":
        return _absolute_plugins(read_toml(source), Path(source).parent), str(source)
    return tomllib.loads(preset_text(source)), f"preset {source}"


def _absolute_plugins(d: dict, base_dir: Path) -> dict:
    """A config dict whose ``.py`` plugins are absolute paths (relative ones are taken
    relative to ``base_dir`` where the file is, else to the current folder), so that worker
    processes and later resumes find them."""
    plugins = d.get("plugins")
    if not isinstance(plugins, list):
        return d
    out = []
    for p in plugins:
        if isinstance(p, str) and p.endswith(".py") and not Path(p).is_absolute():
            p = str((base_dir / p).resolve() if (base_dir / p).is_file() else Path(p).resolve())
        out.append(p)
    return {**d, "plugins": out}


def _parse_value(text: str) -> Any:
    """A --set value: TOML syntax (5, 0.1, true, [0, 1], "x"), else the bare string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _leaf_paths(d: Any, prefix: str = "") -> list[str]:
    if isinstance(d, dict):
        return [p for k, v in d.items() for p in _leaf_paths(v, f"{prefix}{k}.")] or [prefix[:-1]]
    return [prefix[:-1]]


def plain(d: Any) -> Any:
    """A deep copy with tuples as lists, so that list entries can be replaced."""
    if isinstance(d, dict):
        return {k: plain(v) for k, v in d.items()}
    if isinstance(d, list | tuple):
        return [plain(v) for v in d]
    return d


def set_value(d: dict, key: str, value: Any, label: str = "--set") -> None:
    """Set ``d[key.path] = value`` in place. Missing tables on the way are created (e.g. a new
    training schedule); an unknown top-level name is reported with the closest full path,
    deeper unknown names by the typed loader afterwards."""
    parts = key.split(".")
    if parts[0] not in d:
        leaves = _leaf_paths(d)
        close = [p for p in leaves if p.split(".")[-1] == parts[-1]] or \
            difflib.get_close_matches(key, leaves, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise BoltzpruneError(f"{label} {key}: unknown setting{hint}")
    node: Any = d
    for i, part in enumerate(parts):
        here, last = ".".join(parts[:i]), i == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise BoltzpruneError(f"{label} {key}: {here} is a list of {len(node)}; "
                                      f"index it with 0..{len(node) - 1}")
            idx: Any = int(part)
        elif isinstance(node, dict):
            idx = part
            if not last:
                node.setdefault(part, {})
        else:
            raise BoltzpruneError(f"{label} {key}: {here} is not a table")
        if last:
            node[idx] = value
        else:
            node = node[idx]


def apply_overrides(d: dict, overrides: list[str]) -> dict:
    """A copy of the config dict ``d`` with each ``key.path=value`` (TOML syntax, or a bare
    string) applied; see ``set_value``."""
    out = plain(d)
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise BoltzpruneError(f"--set {item!r}: expected KEY=VALUE, e.g. "
                                  "--set training.paper.epochs=5")
        set_value(out, key, _parse_value(raw.strip()))
    return out


def drop_none(d: Any) -> Any:
    """config_to_dict output without None values (TOML has no null; None = the default)."""
    if isinstance(d, dict):
        return {k: drop_none(v) for k, v in d.items() if v is not None}
    if isinstance(d, list | tuple):
        return [drop_none(v) for v in d]
    return d


def with_overrides(experiment: str, cfg: Any, overrides: list[str]) -> Any:
    """``cfg`` with ``--set`` overrides applied, checked (unchanged without overrides)."""
    if not overrides:
        return cfg
    _, from_dict = EXPERIMENTS[experiment]
    return from_dict(drop_none(apply_overrides(config_to_dict(cfg), overrides)), "--set")


def config_from_source(experiment: str, source: str, overrides: list[str] = ()) -> Any:
    """The config of ``experiment`` from a preset name or TOML file, with overrides."""
    d, where = load_config_source(source)
    d = dict(d)
    declared = d.pop("experiment", experiment)
    if declared != experiment:
        raise BoltzpruneError(f"{where} describes the {declared!r} experiment, not "
                              f"{experiment!r}: use `boltzprune {declared} --config {source}`")
    cls, from_dict = EXPERIMENTS[experiment]
    if not overrides:
        return from_dict(d, where)
    # typed but not yet checked as a whole: the overrides may complete it (e.g. idx_dir)
    return with_overrides(experiment, typed_config(cls, d, where), list(overrides))

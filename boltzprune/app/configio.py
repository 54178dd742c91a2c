"""Experiment configs as data: typed loading of dicts (TOML files, a run's config.json)
into frozen config dataclasses, the config files shipped in ``boltzprune/configs/``, and
``--set key.path=value`` overrides.

A config dataclass validates itself when it is built (``__post_init__``); the loaders here
only check types and names, then build it once, so every rule is checked in one place.
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
import types
import typing
from importlib import resources
from pathlib import Path
from typing import Any

from boltzprune.errors import BoltzpruneError, InvalidInputError

__all__ = ["config_to_dict", "config_from_dict", "upgrade_keys", "shipped_names", "shipped_text",
           "shipped_summary", "read_toml", "load_config_source", "apply_overrides", "set_value",
           "plain", "drop_none", "config_from_source", "build_config"]


def config_to_dict(cfg: Any) -> dict:
    """A config as plain data (what config.json holds and --set edits)."""
    return dataclasses.asdict(cfg)


def _at(where: str | None) -> str:
    """The prefix naming where a setting came from ("my.toml: "); none for the flags."""
    return f"{where}: " if where else ""


_TYPE_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}


def _convert(hint: Any, value: Any, where: str, path: str, base: Any = None) -> Any:
    """``value`` (from TOML or JSON) checked against the type ``hint`` and converted: lists
    to tuples, tables to dataclasses and dicts. A table's missing keys keep the values of
    ``base`` (the setting's value in the default config), so that ``[sampling]`` with one
    key changes that key only."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        return _from_dict(hint, value, where, path, base if isinstance(base, hint) else None)
    if origin in (types.UnionType, typing.Union):  # X | None
        if value is None and type(None) in args:
            return None
        return _convert(next(a for a in args if a is not type(None)), value, where, path, base)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise InvalidInputError(f"{_at(where)}{path} must be a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            args = (args[0],) * len(value)
        elif len(args) != len(value):
            raise InvalidInputError(f"{_at(where)}{path} must hold {len(args)} entries, got "
                                    f"{len(value)}")
        bases = list(base) if isinstance(base, tuple) and len(base) == len(value) else \
            [None] * len(value)
        return tuple(_convert(a, v, where, f"{path}[{i}]", b)
                     for i, (a, v, b) in enumerate(zip(args, value, bases, strict=True)))
    if origin is dict:
        if not isinstance(value, dict):
            raise InvalidInputError(f"{_at(where)}{path} must be a table, got {value!r}")
        bases = base if isinstance(base, dict) else {}
        return {str(k): _convert(args[1], v, where, f"{path}.{k}", bases.get(str(k)))
                for k, v in value.items()}
    if hint in _TYPE_NAMES:
        ok = isinstance(value, hint) and not (hint is int and isinstance(value, bool))
        if hint is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not ok:
            raise InvalidInputError(f"{_at(where)}{path} must be {_TYPE_NAMES[hint]}, got "
                                    f"{value!r}")
    return value


def _from_dict(cls, d: object, where: str, path: str = "", base: Any = None):
    """Build a frozen config dataclass from a dict, refusing unknown keys with a suggestion
    and values of the wrong type; nested tables become their dataclasses. Keys left out keep
    their values in ``base`` (by default ``cls()``, when it can be built without arguments)."""
    if not isinstance(d, dict):
        raise InvalidInputError(f"{_at(where)}{path or 'the config'} must be a table of "
                                f"settings, got {type(d).__name__}")
    d = upgrade_keys(cls, d)
    fields = {f.name for f in dataclasses.fields(cls)}
    if base is None:
        try:
            base = cls()
        except (TypeError, BoltzpruneError):  # required fields, or defaults that are no
            base = None  # valid config by themselves (a sweep's empty grid)
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for key, value in d.items():
        name = f"{path}.{key}" if path else key
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1)
            hint = f"; did you mean {(f'{path}.' if path else '') + close[0]!r}?" if close else ""
            raise InvalidInputError(f"{_at(where)}unknown setting {name!r}{hint}")
        kwargs[key] = _convert(hints[key], value, where, name,
                               getattr(base, key) if base is not None else None)
    if base is None:
        for f in dataclasses.fields(cls):  # keys left out take the field's default
            if f.name not in kwargs and f.default is not dataclasses.MISSING:
                kwargs[f.name] = f.default
            elif f.name not in kwargs and f.default_factory is not dataclasses.MISSING:
                kwargs[f.name] = f.default_factory()
        missing = sorted(fields - set(kwargs))
        if missing:
            raise InvalidInputError(f"{_at(where)}{path or 'the config'} needs "
                                    f"{', '.join(missing)}")
    try:  # the config checks its values as it is built
        return dataclasses.replace(base, **kwargs) if base is not None else cls(**kwargs)
    except BoltzpruneError as e:
        if not path or (where and str(e).startswith(f"{where}:")):
            raise
        raise type(e)(f"{_at(where)}{path}: {e}") from None


def upgrade_keys(cls, d: dict) -> dict:
    """``d`` with the settings ``cls.RENAMED`` lists (old name -> new name) under their new
    names, so that config files and run directories of earlier versions are still read."""
    renamed = getattr(cls, "RENAMED", {})
    if not any(old in d and new not in d for old, new in renamed.items()):
        return d
    return {renamed.get(k, k) if renamed.get(k) not in d else k: v for k, v in d.items()}


def config_from_dict(cls, d: object, where: str | None = "config"):
    """A config of type ``cls`` from a dict (a run's config.json, or a TOML file): unknown
    keys and values of the wrong type are errors naming the setting; the values are checked
    by the config itself when it is built. Every error names ``where`` (None: the
    command-line flags, named by the setting alone)."""
    try:
        return _from_dict(cls, d, where)
    except BoltzpruneError as e:
        msg = str(e)
        raise type(e)(msg if not where or msg.startswith(f"{where}:") else f"{where}: {msg}"
                      ) from None


def _shipped_dir():
    return resources.files("boltzprune") / "configs"


def shipped_names() -> list[str]:
    """Names of the config files shipped with boltzprune (file names without ``.toml``)."""
    return sorted(p.name[:-5] for p in _shipped_dir().iterdir() if p.name.endswith(".toml"))


def shipped_text(name: str) -> str:
    """The TOML text of a shipped config file."""
    if name not in shipped_names():
        close = difflib.get_close_matches(name, shipped_names(), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise InvalidInputError(f"unknown shipped config {name!r}{hint} (available: "
                                f"{', '.join(shipped_names())})")
    return (_shipped_dir() / f"{name}.toml").read_text(encoding="utf-8")


def shipped_summary(name: str) -> tuple[str, str]:
    """(experiment, first comment line) of a shipped config file, for listings."""
    text = shipped_text(name)
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
    """The settings in ``source`` (a shipped config's name or a TOML file) and a label for
    error messages."""
    if Path(source).is_file() or Path(source).suffix == ".toml":
        return _absolute_plugins(read_toml(source), Path(source).parent), str(source)
    return tomllib.loads(shipped_text(source)), f"shipped config {source}"


PATH_SETTINGS = ("data", "idx_dir", "cifar_dir")  # settings that name a file or folder


def _absolute(p: str, base_dir: Path) -> str:
    """``p`` made absolute: relative to ``base_dir`` where it exists there, else to the
    current folder."""
    return str((base_dir / p).resolve() if (base_dir / p).exists() else Path(p).resolve())


def _absolute_plugins(d: dict, base_dir: Path) -> dict:
    """A config dict whose ``.py`` plugins and file or folder settings (``PATH_SETTINGS``)
    are absolute paths (relative ones are taken relative to ``base_dir``, where the config
    file is, when they exist there, else to the current folder), so that worker processes
    and later resumes from another folder find them."""
    out = dict(d)
    for key in PATH_SETTINGS:
        p = out.get(key)
        if isinstance(p, str) and not Path(p).is_absolute() and (
                (base_dir / p).exists() or (Path(p).exists() and ("/" in p or Path(p).suffix))):
            out[key] = _absolute(p, base_dir)  # (a bare name such as "digits" is no path)
    plugins = out.get("plugins")
    if isinstance(plugins, list):
        out["plugins"] = [_absolute(p, base_dir) if isinstance(p, str) and p.endswith(".py")
                          and not Path(p).is_absolute() else p for p in plugins]
    return out


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
    """A deep copy with tuples as lists and configs as tables, so that entries can be
    replaced."""
    if dataclasses.is_dataclass(d) and not isinstance(d, type):
        return plain(dataclasses.asdict(d))
    if isinstance(d, dict):
        return {k: plain(v) for k, v in d.items()}
    if isinstance(d, list | tuple):
        return [plain(v) for v in d]
    return d


def set_value(d: dict, key: str, value: Any, label: str = "--set",
              known: tuple[str, ...] = ()) -> None:
    """Set ``d[key.path] = value`` in place. Missing tables on the way are created (e.g. a new
    training schedule); an unknown top-level name is reported with the closest full path,
    deeper unknown names by the typed loader afterwards."""
    parts = key.split(".")
    if parts[0] not in d and parts[0] not in known:
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


def apply_overrides(d: dict, overrides: list[str], known: tuple[str, ...] = ()) -> dict:
    """A copy of the config dict ``d`` with each ``key.path=value`` (TOML syntax, or a bare
    string) applied; see ``set_value``."""
    out = plain(d)
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise BoltzpruneError(f"--set {item!r}: expected KEY=VALUE, e.g. "
                                  "--set iterations=2")
        set_value(out, key, _parse_value(raw.strip()), known=known)
    return out


def drop_none(d: Any) -> Any:
    """config_to_dict output without None values (TOML has no null; None = the default)."""
    if isinstance(d, dict):
        return {k: drop_none(v) for k, v in d.items() if v is not None}
    if isinstance(d, list | tuple):
        return [drop_none(v) for v in d]
    return d


def build_config(cls: type, d: dict, overrides: list[str] | tuple[str, ...] = (),
                 where: str | None = None) -> Any:
    """A config of type ``cls`` from settings ``d`` (a file's, the flags' or another
    config's, under old or new names), with ``--set`` overrides applied to them first so
    that they may complete them (e.g. ``idx_dir``), built and checked once. Errors name
    ``where`` (None: the flags)."""
    d = upgrade_keys(cls, plain(d))  # old names first, so that --set may use the new ones
    if overrides:
        known = tuple(f.name for f in dataclasses.fields(cls))
        d = apply_overrides(d, list(overrides), known)
        where = f"{where} with --set" if where else "--set"
    return config_from_dict(cls, drop_none(d), where)


def config_from_source(experiment: str, cls: type, source: str,
                       overrides: list[str] | tuple[str, ...] = (),
                       extra: dict[str, Any] | None = None) -> Any:
    """The config (of type ``cls``) of ``experiment`` from a shipped config's name or a TOML
    file, with ``--set`` overrides applied to the file's settings before the config is built
    (so that they may complete it, e.g. ``idx_dir``). ``extra`` settings (the command line's
    --device, --workers, --plugin) apply over the file's; plugins are added to its own."""
    d, where = load_config_source(source)
    d = upgrade_keys(cls, dict(d))  # old names, so that extra settings use the new ones
    for k, v in (extra or {}).items():
        d[k] = list(dict.fromkeys([*d.get(k, []), *v])) if k == "plugins" else v
    declared = d.pop("experiment", experiment)
    if declared != experiment:
        raise InvalidInputError(f"{where} describes the {declared!r} experiment, not "
                                f"{experiment!r}: use `boltzprune {declared} --config {source}`")
    return build_config(cls, d, overrides, where)

"""Settings: an ``impostor.toml`` file (or ``--config FILE``), with command-line options over it.

    lexicons = "my-lexicons"            # a lexicon directory instead of the shipped one
    registries = ["brands.tsv"]         # your own protected names
    allowlist = "verified.tsv"          # verified accounts and names cleared in review
    denylist = "closed.tsv"             # names of closed accounts
    disabled = ["profession"]           # categories never reported

    [costs]                             # over lexicons/scoring.toml
    block_score = 0.8
    [scores]
    title = 0.4

    [scan]                              # defaults for `impostor scan` options
    format = "csv"
    workers = 0

Relative paths are relative to the file's directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .detector import SETTING_SECTIONS, Detector
from .lexicon import LexiconError, load_config
from .scoring import check_settings

CONFIG_NAME = "impostor.toml"
COMMAND_SECTIONS = ("scan", "check", "explain", "serve", "batch")
PATH_KEYS = ("lexicons", "allowlist", "denylist")


@dataclass(frozen=True)
class Settings:
    """What a Detector is built from, and per-command option defaults."""

    lexicons: Path | None = None
    registries: tuple[Path, ...] = ()
    allowlist: Path | None = None
    denylist: Path | None = None
    disabled: tuple[str, ...] = ()
    overrides: dict[str, dict[str, float]] = field(default_factory=dict)
    commands: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: Path | None = None  # the file these came from, if any

    def detector(self) -> Detector:
        return Detector(self.lexicons, allowlist=self.allowlist, registries=self.registries, denylist=self.denylist,
                        overrides=self.overrides, disabled=self.disabled)

    def overridden(self, *, lexicons: str | None = None, registries: tuple[str, ...] = (),
                   allowlist: str | None = None, denylist: str | None = None, disabled: tuple[str, ...] = (),
                   settings: tuple[str, ...] = ()) -> "Settings":
        """These settings with command-line options over them: single values replace, lists add."""
        overrides = {section: dict(values) for section, values in self.overrides.items()}
        for assignment in settings:
            section, key, value = parse_assignment(assignment)
            overrides.setdefault(section, {})[key] = value
        return replace(
            self,
            lexicons=Path(lexicons) if lexicons else self.lexicons,
            registries=self.registries + tuple(Path(p) for p in registries),
            allowlist=Path(allowlist) if allowlist else self.allowlist,
            denylist=Path(denylist) if denylist else self.denylist,
            disabled=tuple(dict.fromkeys(self.disabled + tuple(disabled))),
            overrides=overrides,
        )


def parse_assignment(text: str) -> tuple[str, str, float]:
    """``costs.block_score=0.8`` -> ("costs", "block_score", 0.8)."""
    key, sep, value = text.partition("=")
    section, dot, name = key.strip().partition(".")
    if not sep or not dot or section not in SETTING_SECTIONS or not name:
        raise LexiconError("--set", None, f"expected SECTION.KEY=NUMBER with SECTION one of "
                                          f"{', '.join(SETTING_SECTIONS)}, got {text!r}")
    try:
        number = float(value)
    except ValueError:
        raise LexiconError("--set", None, f"{key.strip()}: {value.strip()!r} is not a number") from None
    check_settings({section: {name: number}}, "--set")
    return section, name, number


def find_config(explicit: str | None, use_default: bool = True) -> Path | None:
    if explicit:
        return Path(explicit)
    default = Path.cwd() / CONFIG_NAME
    return default if use_default and default.is_file() else None


def load_settings(path: Path | None) -> Settings:
    """Settings from a config file (none: all defaults).  Unknown keys are errors, not silently ignored."""
    if path is None:
        return Settings()
    data = load_config(path)
    base = path.parent
    known = {*PATH_KEYS, "registries", "disabled", *SETTING_SECTIONS, *COMMAND_SECTIONS}
    unknown = sorted(set(data) - known)
    if unknown:
        raise LexiconError(path, None, f"unknown key {unknown[0]!r}; known: {', '.join(sorted(known))}")

    def path_of(key: str) -> Path | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise LexiconError(path, None, f"{key} must be a path (a string)")
        return base / value

    def strings(key: str) -> list[str]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise LexiconError(path, None, f"{key} must be a list of strings")
        return value

    overrides = check_settings({s: data[s] for s in SETTING_SECTIONS if s in data}, str(path))
    commands = {}
    for section in COMMAND_SECTIONS:
        values = data.get(section, {})
        if not isinstance(values, dict):
            raise LexiconError(path, None, f"[{section}] must be a table of option defaults")
        if values:
            commands[section] = {k.replace("-", "_"): v for k, v in values.items()}
    return Settings(lexicons=path_of("lexicons"), registries=tuple(base / p for p in strings("registries")),
                    allowlist=path_of("allowlist"), denylist=path_of("denylist"),
                    disabled=tuple(strings("disabled")), overrides=overrides, commands=commands, source=path)

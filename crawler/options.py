"""Parsing of the options users type (`-a full=1`, `-a revisit_after=30d`), shared by the spider and the CLI."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str, name: str = "revisit_after") -> timedelta:
    """``30d``, ``12h``, ``90m``, ``2w``, ``0s`` -> timedelta; ValueError naming the option otherwise."""
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"{name}={text!r}: expected a number and a unit s, m, h, d or w (e.g. 30d)")
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


def parse_flag(value: str | None, name: str) -> bool:
    """``1``/``true``/``yes``/``on`` or ``0``/``false``/``no``/``off``; absent means off."""
    if value is None:
        return False
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"{name}={value!r}: expected 1 or 0")

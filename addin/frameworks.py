"""Competence frameworks (UK-SPEC and the like) as data files."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from msgspec import Struct

from . import shipped_data
from .errors import ProfileError


class Framework(Struct, frozen=True, eq=False):   # one instance a framework (cached): compared by identity
    """A competence framework: its codes with their short titles, and the codes each registration title asks for."""
    id: str
    name: str
    titles: dict[str, tuple[str, ...]]      # registration title -> its codes
    codes: dict[str, str]                   # code -> short title
    default_title: str

    def codes_for(self, title: str | None) -> tuple[str, ...]:
        """The codes valid for a registration title (the default title's when unknown)."""
        key = self.title_key(title) or self.default_title
        return self.titles[key]

    def title_key(self, title: str | None) -> str | None:
        if not title:
            return None
        wanted = title.strip().lower()
        return next((t for t in self.titles if t.lower() == wanted), None)


@lru_cache(maxsize=None)
def load_framework(framework_id: str) -> Framework:
    path = Path(__file__).parent / "frameworks" / f"{framework_id}.toml"      # no importlib.resources: 5 ms a command
    if not path.is_file():
        raise ProfileError("framework_unknown", f"no competence framework named {framework_id!r}")
    raw = shipped_data.read(path)
    return Framework(id=raw["id"], name=raw["name"],
                     titles={k: tuple(v) for k, v in raw["titles"].items()},
                     codes=dict(raw["codes"]), default_title=raw["default_title"])

"""Disclosure control for the group view: which aggregate figures may be shown, so that no shown
figure, alone or subtracted from another shown figure under any filters, singles out fewer than
``k`` records. The practice of statistical agencies (a threshold rule with secondary suppression),
worked out per figure over the finest groups the filters can pick out.

The filters (profile, grade) divide a period's records into *atoms*: one per profile and grade. Every
group a filter combination shows is a union of atoms. For each figure (the records counted, the
ready, the passing of one criterion, the records with hours in one category...), atoms are merged
into *cells* until every cell counts either none or at least ``k`` records, and, for a share, the
same of the records it does not count. A group shows the figure only when it is a union of whole
cells. Whatever is subtracted from whatever then, every shown difference is a sum over whole cells:
none, or at least ``k`` records on each side. The merging depends only on the period's data, never on
the filters asked for, so every answer is cut from the same cells.

Nothing exact about one record is shown: no minimum or maximum, and hours spread as quartiles
rounded to whole hours, of groups of at least ``k`` records.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

Atom = tuple[str, str | None]                     # (profile id, grade)


@dataclass(frozen=True)
class Count:
    """A figure's count in one atom: ``counted`` of ``of`` records (``of`` only matters for shares)."""
    counted: int
    of: int


def _safe(counted: int, of: int, k: int, share: bool) -> bool:
    if not (counted == 0 or counted >= k):
        return False
    return not share or of - counted == 0 or of - counted >= k


def _closeness(a: frozenset[Atom], b: frozenset[Atom]) -> int:
    """How much two cells share: a profile in common counts most, then a grade (merge the closest first, so
    a rare grade joins its own body's other records, and each body's own view survives where it can)."""
    return 2 * bool({p for p, _ in a} & {p for p, _ in b}) + bool({g for _, g in a} & {g for _, g in b})


def cells(counts: Mapping[Atom, Count], k: int, share: bool = False) -> list[frozenset[Atom]] | None:
    """The atoms holding the figure, merged into cells that are each safe to show; None when even all of
    them together are not (the figure is shown nowhere)."""
    found = [(frozenset([a]), c.counted, c.of) for a, c in sorted(counts.items(), key=lambda x: _key(x[0]))
             if c.of > 0]
    while True:
        unsafe = [cell for cell in found if not _safe(cell[1], cell[2], k, share)]
        if not unsafe:
            return [cell[0] for cell in found]
        if len(found) == 1:
            return None
        worst = min(unsafe, key=lambda cell: (cell[2], sorted(map(_key, cell[0]))))
        others = [cell for cell in found if cell is not worst]
        partner = max(others, key=lambda cell: (_closeness(worst[0], cell[0]), -cell[2]))   # first of equals
        found = [cell for cell in others if cell is not partner]
        found.append((worst[0] | partner[0], worst[1] + partner[1], worst[2] + partner[2]))


def _key(atom: Atom) -> tuple[str, str]:
    return atom[0], atom[1] or ""


def whole(group: frozenset[Atom], figure_cells: Iterable[frozenset[Atom]] | None) -> bool:
    """Whether ``group`` is a union of whole cells (each cell all inside it or all outside)."""
    if figure_cells is None:
        return False
    return all(cell <= group or not (cell & group) for cell in figure_cells)


def quartiles(histogram: Mapping[int, int]) -> tuple[int, int, int] | None:
    """The 25th, 50th and 75th percentiles of whole-hour values given as value -> how many, linearly
    interpolated and rounded to whole hours (None for no values)."""
    total = sum(histogram.values())
    if not total:
        return None
    values = sorted(histogram.items())

    def at(rank: float) -> float:                  # the value at a 0-based fractional rank
        lo, hi = int(rank), min(int(rank) + 1, total - 1)
        return _nth(values, lo) + (_nth(values, hi) - _nth(values, lo)) * (rank - lo)

    return tuple(round(at(q * (total - 1))) for q in (0.25, 0.5, 0.75))  # type: ignore[return-value]


def _nth(values: list[tuple[int, int]], n: int) -> int:
    seen = 0
    for value, many in values:
        seen += many
        if n < seen:
            return value
    return values[-1][0]


class Figures:
    """One period's cells for every figure, keyed as the caller likes."""

    def __init__(self, k: int):
        self.k = k
        self._cells: dict[Hashable, list[frozenset[Atom]] | None] = {}

    def add(self, key: Hashable, counts: Mapping[Atom, Count], share: bool = False) -> None:
        self._cells[key] = cells(counts, self.k, share)

    def shown(self, key: Hashable, group: frozenset[Atom]) -> bool:
        return whole(group, self._cells.get(key))

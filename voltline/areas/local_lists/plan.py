"""Pure planning of local-list updates: entries, differences, parts and version numbers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from voltline.areas.authorization.model import IdToken
from voltline.areas.local_lists.model import LocalListEntry, LocalListState
from voltline.kernel.versions import OcppVersion, capabilities

DEFAULT_MAX_ENTRIES = 500


@dataclass(slots=True, frozen=True)
class ListDiff:
    upserts: tuple[LocalListEntry, ...]
    removals: tuple[LocalListEntry, ...]
    retyped: bool  # a token kept its id but changed type (2.0.1 names entries by id and type)

    @property
    def empty(self) -> bool:
        return not self.upserts and not self.removals


def diff_entries(held: Mapping[str, LocalListEntry], wanted: Mapping[str, LocalListEntry]) -> ListDiff:
    """What turns the list a station holds into the wanted one, in token id order."""
    upserts = tuple(entry for key, entry in sorted(wanted.items()) if held.get(key) != entry)
    removals = tuple(entry for key, entry in sorted(held.items()) if key not in wanted)
    retyped = any(key in held and held[key].type != entry.type for key, entry in wanted.items())
    return ListDiff(upserts, removals, retyped)


def entries_for(version: OcppVersion, tokens: Sequence[IdToken]) -> tuple[dict[str, LocalListEntry], tuple[str, ...]]:
    """The entries a station of this OCPP version can hold, and the token ids it cannot.

    A token (or its group, 1.6 parentIdTag / 2.0.1 groupIdToken) longer than the version's id tokens is
    left out of that station's list and reported, rather than failing the whole update: 1.6 idTags are
    CiString20, while the registry takes 2.0.1's 36 characters."""
    limit = capabilities(version).id_token_max_length
    entries: dict[str, LocalListEntry] = {}
    skipped: list[str] = []
    for token in tokens:
        too_long = len(token.id_token) > limit or (token.group_id is not None and len(token.group_id) > limit)
        if too_long:
            skipped.append(token.id_token)
        else:
            entries[token.id_token] = LocalListEntry.of(token)
    return entries, tuple(sorted(skipped))


@dataclass(slots=True, frozen=True)
class PlannedUpdate:
    full: bool
    entries: tuple[LocalListEntry, ...]
    removals: tuple[LocalListEntry, ...] = ()


def plan_full(entries: Sequence[LocalListEntry], max_entries: int) -> list[PlannedUpdate]:
    """A Full update, split when long: the first part Full, the rest Differential additions."""
    ordered = sorted(entries, key=lambda e: e.id_token)
    parts = [tuple(ordered[i : i + max_entries]) for i in range(0, len(ordered), max_entries)] or [()]
    return [PlannedUpdate(full=index == 0, entries=part) for index, part in enumerate(parts)]


def plan_differential(diff: ListDiff, max_entries: int) -> list[PlannedUpdate]:
    """Differential updates of at most `max_entries` entries each (removals first); one even when empty,
    so the station still learns the new version."""
    items: list[tuple[bool, LocalListEntry]] = [(True, e) for e in diff.removals] + [(False, e) for e in diff.upserts]
    if not items:
        return [PlannedUpdate(full=False, entries=())]
    plans: list[PlannedUpdate] = []
    for start in range(0, len(items), max_entries):
        part = items[start : start + max_entries]
        plans.append(
            PlannedUpdate(
                full=False,
                entries=tuple(e for removal, e in part if not removal),
                removals=tuple(e for removal, e in part if removal),
            )
        )
    return plans


def next_version(record: LocalListState, desired: int) -> int:
    """The number of the next update: `desired` (the desired version when its content was read), but above
    everything sent or confirmed before."""
    return max(desired, record.sent_version + 1, record.station_version + 1, 1)

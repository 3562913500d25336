"""Tables of resources with a creation-time index: newest-first cursor paging that touches
about one page of records, never copying or sorting the whole table per request."""

from __future__ import annotations

import bisect
from collections.abc import Callable

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
_LAST = float("inf")


class UnknownCursor(KeyError):
    """A paging cursor that names no record of the table."""


class Table:
    """The resources of one kind.

    ``records`` maps ID -> resource in insertion order (what the control API exposes).
    The index lists the IDs by ``(created_at, insertion number)``, ascending; a record
    created "now" is appended, one with an older ``created_at`` (seeding) is inserted in
    place. Removed records keep their place in the index, so their IDs stay valid cursors.
    """

    def __init__(self):
        self.records: dict[str, dict] = {}
        self._ids: list[str] = []
        self._keys: list[tuple[str, int]] = []
        self._positions: dict[str, int] = {}
        self._inserted = 0

    def clear(self) -> None:
        self.records.clear()
        self._ids.clear()
        self._keys.clear()
        self._positions.clear()
        self._inserted = 0

    def __len__(self) -> int:
        return len(self.records)

    def __contains__(self, resource_id) -> bool:
        return resource_id in self.records

    def known(self, resource_id: str) -> bool:
        """Whether the ID was ever inserted (removed records included)."""
        return resource_id in self._positions

    def get(self, resource_id: str) -> dict | None:
        return self.records.get(resource_id)

    def insert(self, resource: dict) -> dict:
        resource_id = resource["id"]
        if resource_id in self._positions:
            raise ValueError(f"id {resource_id} already exists")
        key = (resource["created_at"], self._inserted)
        self._inserted += 1
        if not self._keys or key >= self._keys[-1]:
            self._positions[resource_id] = len(self._ids)
            self._ids.append(resource_id)
            self._keys.append(key)
        else:
            index = bisect.bisect_right(self._keys, key)
            self._ids.insert(index, resource_id)
            self._keys.insert(index, key)
            for position in range(index, len(self._ids)):
                self._positions[self._ids[position]] = position
        self.records[resource_id] = resource
        return resource

    def insert_many(self, resources: list[dict]) -> None:
        """Insert records created at one moment (seeding), appended in one go when they are
        the newest; otherwise one by one."""
        if not resources:
            return
        stamp = resources[0]["created_at"]
        first_key = (stamp, self._inserted)
        same = all(resource["created_at"] == stamp for resource in resources)
        if not same or (self._keys and first_key < self._keys[-1]):
            for resource in resources:
                self.insert(resource)
            return
        ids = [resource["id"] for resource in resources]
        if len(set(ids)) != len(ids) or any(i in self._positions for i in ids):
            raise ValueError("an id already exists")
        base, count = len(self._ids), len(ids)
        self._ids.extend(ids)
        self._keys.extend((stamp, self._inserted + k) for k in range(count))
        self._inserted += count
        self._positions.update(zip(ids, range(base, base + count), strict=True))
        self.records.update(zip(ids, resources, strict=True))

    def remove(self, resource_id: str) -> dict:
        """Take a record out of ``records`` (and of every list); its ID stays a cursor."""
        return self.records.pop(resource_id)

    def span(self, bounds: dict[str, str]) -> tuple[int, int]:
        """Index positions ``[lo, hi)`` of the records whose ``created_at`` satisfies
        ``bounds`` (``{"gt"|"gte"|"lt"|"lte": canonical timestamp}``), by bisection."""
        lo, hi = 0, len(self._ids)
        for op, bound in bounds.items():
            if op == "gte":
                lo = max(lo, bisect.bisect_left(self._keys, (bound, -1)))
            elif op == "gt":
                lo = max(lo, bisect.bisect_right(self._keys, (bound, _LAST)))
            elif op == "lt":
                hi = min(hi, bisect.bisect_left(self._keys, (bound, -1)))
            elif op == "lte":
                hi = min(hi, bisect.bisect_right(self._keys, (bound, _LAST)))
        return lo, max(lo, hi)

    def page(
        self,
        match: Callable[[dict], bool] | None = None,
        *,
        limit: int = DEFAULT_LIMIT,
        after: str | None = None,
        before: str | None = None,
        bounds: dict[str, str] | None = None,
    ) -> tuple[list[dict], str | None, str | None]:
        """One page, NEWEST FIRST, as GoCardless lists: ``after`` moves to older records,
        ``before`` to newer ones (the ``limit`` records just newer than the cursor).

        Returns ``(records, before_cursor, after_cursor)``: ``before_cursor`` is the first
        record's ID when newer matching records exist, ``after_cursor`` the last record's
        ID when older ones do (else ``None``). Raises :class:`UnknownCursor`.
        """
        lo, hi = self.span(bounds or {})

        def at(position: int) -> dict | None:
            record = self.records.get(self._ids[position])
            if record is None or (match is not None and not match(record)):
                return None
            return record

        def cursor(value: str | None) -> int | None:
            if value in (None, ""):
                return None
            if value not in self._positions:
                raise UnknownCursor(value)
            return self._positions[value]

        after_position, before_position = cursor(after), cursor(before)
        found: list[tuple[int, dict]] = []
        if before_position is None:
            start = hi - 1 if after_position is None else min(after_position - 1, hi - 1)
            position = start
            while position >= lo and len(found) <= limit:
                record = at(position)
                if record is not None:
                    found.append((position, record))
                position -= 1
            older = len(found) > limit
            found = found[:limit]
            newer_from = found[0][0] + 1 if found else start + 1
            newer = any(at(p) is not None for p in range(max(newer_from, lo), hi))
        else:
            start = max(before_position + 1, lo)
            position = start
            while position < hi and len(found) <= limit:
                record = at(position)
                if record is not None:
                    found.append((position, record))
                position += 1
            newer = len(found) > limit
            found = found[:limit]
            found.reverse()
            older_from = found[-1][0] - 1 if found else start - 1
            older = any(at(p) is not None for p in range(min(older_from, hi - 1), lo - 1, -1))
        records = [record for _, record in found]
        before_cursor = records[0]["id"] if records and newer else None
        after_cursor = records[-1]["id"] if records and older else None
        return records, before_cursor, after_cursor

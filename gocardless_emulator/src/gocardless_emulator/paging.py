"""Cursor paging over a stable order, touching only about one page of records."""

from __future__ import annotations

from collections.abc import Callable

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def paginate(
    size: int,
    get: Callable[[int], object | None],
    after: int | None = None,
    before: int | None = None,
    limit: int = DEFAULT_LIMIT,
) -> tuple[list[tuple[int, object]], bool, bool]:
    """Page through positions ``0..size-1``.

    ``get(i)`` returns the record at position ``i``, or ``None`` when that position is
    filtered out (or removed). ``after`` / ``before`` are exclusive positions. Returns
    ``(page, records_precede, records_follow)`` where ``page`` is a list of
    ``(position, record)`` in ascending order.
    """
    if before is not None:
        found = []
        position = min(before, size) - 1
        while position >= 0 and len(found) <= limit:
            record = get(position)
            if record is not None:
                found.append((position, record))
            position -= 1
        precede = len(found) > limit
        found = found[:limit]
        found.reverse()
        follow_from = found[-1][0] + 1 if found else before
        follow = _any(get, range(follow_from, size))
        return found, precede, follow

    found = []
    position = 0 if after is None else after + 1
    while position < size and len(found) <= limit:
        record = get(position)
        if record is not None:
            found.append((position, record))
        position += 1
    follow = len(found) > limit
    found = found[:limit]
    precede_from = found[0][0] - 1 if found else (after if after is not None else -1)
    precede = _any(get, range(precede_from, -1, -1))
    return found, precede, follow


def _any(get, positions) -> bool:
    return any(get(position) is not None for position in positions)

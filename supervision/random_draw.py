"""The random draw of a random-check plan, as pure functions of what it reads: anyone can re-run it
from the stored seed and pools (no database, no clock, no Python `random`).

Algorithm ES-SHA256/1, in full:

1. The pool is the list of (facility id, weight) in increasing id order. Its digest is the
   SHA-256 of its canonical text: the line "facility_id,weight" and then one line "id,weight" per
   entry, each ending in "\\n" (the same text as the pool's CSV download, so `sha256sum` checks it).
   The inspector pool is (inspector id, home district or "") in id order, digested the same way
   with the header "inspector_id,district".
2. The draw's salt is "<seed>|<pool digest>|<inspector pool digest>": any change to the seed or
   to either pool changes every random number below.
3. Targets (Efraimidis–Spirakis weighted sampling without replacement): for every entry,
   h = SHA-256("<salt>|T|<facility id>") in UTF-8; u = (first 8 bytes of h as a big-endian
   integer + 1) / (2^64 + 1); key = ln(u) / weight. The N entries with the largest keys are
   drawn, in decreasing key order (equal keys: smaller id first); that order is the rank.
4. Inspectors, target by target in rank order: for j = 0, 1, 2, …, h = SHA-256("<salt>|I|<facility
   id>|<j>"); the candidate is the inspector at position (first 8 bytes of h) mod (pool size) of
   the inspector pool. A candidate is skipped when already chosen for this target, excluded for
   this target (a recent check of it, recorded with the draw) or, when the plan says so, based in
   the target's district. The first `per_target` candidates not skipped are drawn, in that order.
   After 64 × pool size candidates without enough, the pool is walked from the last candidate on
   (never met in practice; it keeps the draw finite and deterministic).
5. The result's digest is the SHA-256 of one line per target "rank,facility id,inspector ids
   separated by spaces" (each ending in "\\n").
"""

from __future__ import annotations

import hashlib
import heapq
import math
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

ALGORITHM = "ES-SHA256/1"
_POOL_MAGIC = b"RCP1"
_INSPECTORS_MAGIC = b"RCI1"
_TWO_64_PLUS_1 = float(2**64 + 1)


class DrawImpossible(ValueError):
    """The pools cannot give what the plan asks (too few inspectors for a target)."""

    def __init__(self, facility_id: int, eligible: int, needed: int) -> None:
        super().__init__(facility_id, eligible, needed)
        self.facility_id = facility_id
        self.eligible = eligible
        self.needed = needed


@dataclass(frozen=True)
class TargetFacts:
    """What the inspectors' draw reads of a drawn target."""

    facility_id: int
    district: str
    excluded: frozenset[int]


@dataclass(frozen=True)
class DrawnTarget:
    rank: int
    facility_id: int
    weight: int
    inspector_ids: tuple[int, ...]


# --- Pools: canonical text, digest, compact storage ------------------------------------------


def pool_text(entries: Iterable[tuple[int, int]]) -> Iterable[str]:
    yield "facility_id,weight\n"
    for facility_id, weight in entries:
        yield f"{facility_id},{weight}\n"


def inspector_pool_text(entries: Iterable[tuple[int, str]]) -> Iterable[str]:
    yield "inspector_id,district\n"
    for inspector_id, district in entries:
        yield f"{inspector_id},{district}\n"


def digest(lines: Iterable[str]) -> str:
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8"))
    return h.hexdigest()


def _varint(value: int, out: bytearray) -> None:
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def pack_pool(entries: Sequence[tuple[int, int]]) -> bytes:
    """(id, weight) in increasing id order → id gaps as varints, each followed by its weight byte,
    compressed: a million facilities take a few hundred kilobytes."""
    raw = bytearray()
    previous = 0
    for facility_id, weight in entries:
        if facility_id <= previous and raw:
            raise ValueError("pool ids must increase")
        if not 1 <= weight <= 255:
            raise ValueError("weight out of range")
        _varint(facility_id - previous, raw)
        raw.append(weight)
        previous = facility_id
    return _POOL_MAGIC + zlib.compress(bytes(raw), 6)


def unpack_pool(blob: bytes) -> list[tuple[int, int]]:
    if not blob.startswith(_POOL_MAGIC):
        raise ValueError("not a stored pool")
    raw = zlib.decompress(blob[len(_POOL_MAGIC) :])
    entries: list[tuple[int, int]] = []
    previous = 0
    value = shift = 0
    expect_weight = False
    for byte in raw:
        if expect_weight:
            entries.append((previous, byte))
            expect_weight = False
            continue
        value |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
            continue
        previous += value
        value = shift = 0
        expect_weight = True
    return entries


def pack_inspectors(entries: Sequence[tuple[int, str]]) -> bytes:
    text = "".join(inspector_pool_text(entries))
    return _INSPECTORS_MAGIC + zlib.compress(text.encode("utf-8"), 6)


def unpack_inspectors(blob: bytes) -> list[tuple[int, str]]:
    if not blob.startswith(_INSPECTORS_MAGIC):
        raise ValueError("not a stored inspector pool")
    lines = zlib.decompress(blob[len(_INSPECTORS_MAGIC) :]).decode("utf-8").splitlines()
    entries = []
    for line in lines[1:]:
        inspector_id, _, district = line.partition(",")
        entries.append((int(inspector_id), district))
    return entries


# --- The draw ----------------------------------------------------------------------------------


def salt(seed: str, pool_digest: str, inspector_pool_digest: str) -> str:
    return f"{seed}|{pool_digest}|{inspector_pool_digest}"


def draw_targets(
    salt_text: str, entries: Iterable[tuple[int, int]], count: int
) -> list[tuple[int, int]]:
    """The `count` drawn (facility id, weight), in rank order."""
    prefix = hashlib.sha256(f"{salt_text}|T|".encode())
    log = math.log
    from_bytes = int.from_bytes

    def keyed() -> Iterable[tuple[float, int, int]]:
        for facility_id, weight in entries:
            h = prefix.copy()
            h.update(str(facility_id).encode())
            u = (from_bytes(h.digest()[:8], "big") + 1) / _TWO_64_PLUS_1
            yield (log(u) / weight, -facility_id, weight)

    best = heapq.nlargest(count, keyed())
    return [(-negative_id, weight) for _key, negative_id, weight in best]


def _candidate_index(salt_text: str, facility_id: int, j: int, size: int) -> int:
    h = hashlib.sha256(f"{salt_text}|I|{facility_id}|{j}".encode()).digest()
    return int.from_bytes(h[:8], "big") % size


def inspector_sequence(
    salt_text: str,
    facility_id: int,
    pool: Sequence[tuple[int, str]],
    skip: Iterable[int] = (),
) -> Iterable[int]:
    """Target facility_id's candidates in draw order (step 4), without the ids in skip and
    without repeats; a caller applies its own conflicts and stops when it has enough."""
    size = len(pool)
    if size == 0:
        return
    seen = set(skip)
    j = 0
    last = 0
    while j < 64 * size:
        last = _candidate_index(salt_text, facility_id, j, size)
        j += 1
        candidate = pool[last][0]
        if candidate not in seen:
            seen.add(candidate)
            yield candidate
        if len(seen) >= size:
            return
    for offset in range(1, size + 1):
        candidate = pool[(last + offset) % size][0]
        if candidate not in seen:
            seen.add(candidate)
            yield candidate


def draw_inspectors(
    salt_text: str,
    target: TargetFacts,
    pool: Sequence[tuple[int, str]],
    per_target: int,
    *,
    exclude_home_district: bool,
    district_counts: dict[str, int] | None = None,
    districts: dict[int, str] | None = None,
) -> tuple[int, ...]:
    """The inspectors of one target (step 4); DrawImpossible when fewer than per_target may go.
    district_counts and districts: the pool's, when the caller already has them."""
    if districts is None:
        districts = dict(pool)
    if district_counts is None:
        district_counts = {}
        for _id, district in pool:
            district_counts[district] = district_counts.get(district, 0) + 1

    def conflicted(inspector_id: int) -> bool:
        if inspector_id in target.excluded:
            return True
        return exclude_home_district and districts.get(inspector_id) == target.district

    barred = district_counts.get(target.district, 0) if exclude_home_district else 0
    barred += sum(
        1
        for inspector_id in target.excluded
        if inspector_id in districts
        and not (exclude_home_district and districts[inspector_id] == target.district)
    )
    eligible = len(pool) - barred
    if eligible < per_target:
        raise DrawImpossible(target.facility_id, max(eligible, 0), per_target)
    chosen: list[int] = []
    for candidate in inspector_sequence(salt_text, target.facility_id, pool):
        if not conflicted(candidate):
            chosen.append(candidate)
            if len(chosen) == per_target:
                break
    return tuple(chosen)


def draw(
    salt_text: str,
    entries: Sequence[tuple[int, int]],
    count: int,
    inspectors: Sequence[tuple[int, str]],
    facts_of: dict[int, TargetFacts] | None,
    per_target: int,
    *,
    exclude_home_district: bool,
    targets: list[tuple[int, int]] | None = None,
) -> list[DrawnTarget]:
    """The whole draw. facts_of: each drawn facility's district and exclusions; None (or a
    missing facility) means its district is unknown ("") and nothing is excluded."""
    if targets is None:
        targets = draw_targets(salt_text, entries, count)
    district_counts: dict[str, int] = {}
    for _id, district in inspectors:
        district_counts[district] = district_counts.get(district, 0) + 1
    districts = dict(inspectors)
    result = []
    for rank, (facility_id, weight) in enumerate(targets, start=1):
        facts = (facts_of or {}).get(facility_id) or TargetFacts(facility_id, "", frozenset())
        chosen = draw_inspectors(
            salt_text,
            facts,
            inspectors,
            per_target,
            exclude_home_district=exclude_home_district,
            district_counts=district_counts,
            districts=districts,
        )
        result.append(DrawnTarget(rank, facility_id, weight, chosen))
    return result


def result_text(result: Iterable[DrawnTarget]) -> Iterable[str]:
    for target in result:
        ids = " ".join(str(i) for i in target.inspector_ids)
        yield f"{target.rank},{target.facility_id},{ids}\n"


def result_digest(result: Iterable[DrawnTarget]) -> str:
    return digest(result_text(result))


def count_for(pool_size: int, count: int | None, share_percent: Decimal | None) -> int:
    """How many to draw: the count (at most the pool), or the share of the pool rounded up."""
    if count is not None:
        return min(count, pool_size)
    if share_percent is None:
        return 0
    return min(pool_size, math.ceil(Decimal(pool_size) * share_percent / 100))

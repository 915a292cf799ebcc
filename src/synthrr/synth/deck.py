"""Dealing demonstrations: a shuffled deck over a method's pool, and lazy blocks of prompts."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

from synthrr.synth.prompts import Demo


class DemoDeck:
    """Demonstrations dealt from a shuffled deck, so a run shows every demonstration of the pool
    before it repeats one (independent draws per prompt repeat some and never show others).

    :meth:`draw` deals up to ``k`` from distinct source seeds (fewer when the pool has fewer: the
    same seed text twice teaches nothing and, beside two different passages, that the passage does
    not matter), never from a source in ``exclude`` (a block's own seeds: a passage is not refined
    next to a demonstration of its own seed) unless only those have demonstrations; the deck is
    reshuffled when it runs low.
    """

    def __init__(self, rng: random.Random, pool: list[Demo]) -> None:
        self.rng = rng
        self.pool = pool
        self._deck: list[int] = []

    def draw(self, k: int, exclude: Iterable[str] = ()) -> list[Demo]:
        k = min(k, len(self.pool))
        if k <= 0:
            return []
        banned = set(exclude)
        picked: list[int] = []
        self._take(picked, k, banned, distinct=True)
        if len(picked) < k:
            self._refill()
            self._take(picked, k, banned, distinct=True)
            if not picked:  # only the block's own seeds have demonstrations
                self._take(picked, k, set(), distinct=True)
        return [self.pool[i] for i in picked]

    def _refill(self) -> None:
        if len(self._deck) < len(self.pool):
            self._deck.extend(self.rng.sample(range(len(self.pool)), len(self.pool)))

    def _take(self, picked: list[int], k: int, banned: set[str], *, distinct: bool) -> None:
        """Move cards from the deck to ``picked`` (up to ``k``) that are not from a banned source
        and, if ``distinct``, not from a source already picked."""
        sources = {self.pool[i].source_id for i in picked}
        rest: list[int] = []
        for i in self._deck:
            src = self.pool[i].source_id
            ok = i not in picked and src not in banned and not (distinct and src in sources)
            if ok and len(picked) < k:
                picked.append(i)
                sources.add(src)
            else:
                rest.append(i)
        self._deck = rest


T = TypeVar("T")


def blocks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive chunks of ``size`` items (the last may be shorter), pulled lazily."""
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk

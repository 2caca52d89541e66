"""``numpy.random.PCG64([seed, stream])`` for a whole batch of seeds at once.

The per-sample kernels draw from ``numpy.random.default_rng([seed_i, stream])``. Making that
generator costs about 19 us (``SeedSequence`` hashes the two words, then hashes again for the
four 64-bit words of the PCG64 seed), as much as all the rest of a 28 px sample's work. Both
hashes are fixed sequences of 32-bit multiplies, xors and shifts, so :func:`pcg64_states`
runs them for every seed in a few NumPy passes and gives each generator's state; a slice then
sets one bit generator to each sample's state (about 1.5 us) instead of seeding a new one. The
streams are NumPy's own, bit for bit (tested against ``PCG64([seed, stream]).state``): the
algorithm is ``numpy.random.SeedSequence``'s and PCG64's seeding, which NumPy keeps stable.
Seeds or streams outside ``[0, 2**32)`` (more than one entropy word) are seeded by NumPy itself.

Example:
    >>> states = pcg64_states([7, 8], stream=0)
    >>> states[1] == np.random.PCG64([8, 0]).state
    True
    >>> seeded(reusable_generator(), states[0]).random() == np.random.default_rng([7, 0]).random()
    True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# numpy.random.SeedSequence's constants (numpy/random/bit_generator.pyx)
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_POOL = 4
# PCG64's 128-bit LCG multiplier (numpy/random/src/pcg64/pcg64.h)
_PCG_MULT = (2549297995355413924 << 64) | 4865540595714422341
_MASK128 = (1 << 128) - 1
_WORD = 1 << 32


def _hash_constants(start: int, mult: int, count: int) -> list[np.uint32]:
    """The multipliers a SeedSequence hash uses, in order: they do not depend on the data."""
    out, h = [], start
    for _ in range(count):
        h = (h * mult) % _WORD
        out.append(np.uint32(h))
    return out


_MIX_CONSTANTS = _hash_constants(_INIT_A, _MULT_A, _POOL + _POOL * (_POOL - 1))
_STATE_CONSTANTS = _hash_constants(_INIT_B, _MULT_B, 8)


def _hashmix(value: np.ndarray, before: np.uint32, after: np.uint32) -> np.ndarray:
    """SeedSequence's ``hashmix``: ``before`` is the hash constant it starts from, ``after`` the
    one it multiplies by (the constant times its multiplier)."""
    value = (value ^ before) * after
    return value ^ (value >> np.uint32(16))


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    result = np.uint32(_MIX_L) * x - np.uint32(_MIX_R) * y
    return result ^ (result >> np.uint32(16))


def _seed_words(entropy: np.ndarray) -> np.ndarray:
    """``SeedSequence(entropy_row).generate_state(8, np.uint32)`` for each row of ``entropy``
    ``(n, 2)`` uint32 (two words, fewer than the pool's four), as ``(n, 8)`` uint32."""
    with np.errstate(over="ignore"):
        constants = iter(_MIX_CONSTANTS)
        previous = np.uint32(_INIT_A)
        pool = []
        for i in range(_POOL):
            word = entropy[:, i] if i < entropy.shape[1] else np.zeros(len(entropy), np.uint32)
            current = next(constants)
            pool.append(_hashmix(word, previous, current))
            previous = current
        for src in range(_POOL):
            for dst in range(_POOL):
                if src != dst:
                    current = next(constants)
                    pool[dst] = _mix(pool[dst], _hashmix(pool[src], previous, current))
                    previous = current
        words, previous = [], np.uint32(_INIT_B)
        for i, current in enumerate(_STATE_CONSTANTS):
            words.append(_hashmix(pool[i % _POOL], previous, current))
            previous = current
    return np.stack(words, axis=1)


def _step(state: int, inc: int) -> int:
    return (state * _PCG_MULT + inc) & _MASK128


def pcg64_states(seeds: Sequence[int], stream: int) -> list[dict]:
    """The ``state`` dict of ``numpy.random.PCG64([seed, stream])`` for each of ``seeds``,
    ready for a bit generator's ``state`` setter.

    Example:
        >>> pcg64_states([3], 1)[0] == np.random.PCG64([3, 1]).state
        True
    """
    values = [int(s) for s in seeds]
    if not values:
        return []
    if not (0 <= stream < _WORD and all(0 <= v < _WORD for v in values)):
        return [np.random.PCG64([v, stream]).state for v in values]
    entropy = np.empty((len(values), 2), np.uint32)
    entropy[:, 0], entropy[:, 1] = values, stream
    halves = _seed_words(entropy).astype(np.uint64)
    words = (halves[:, 0::2] | (halves[:, 1::2] << np.uint64(32))).tolist()  # little-endian
    states = []
    for w in words:  # pcg_setseq_128_srandom_r: the seed is words 0-1, the sequence 2-3
        inc = ((((w[2] << 64) | w[3]) << 1) | 1) & _MASK128
        state = _step((_step(0, inc) + ((w[0] << 64) | w[1])) & _MASK128, inc)
        states.append({"bit_generator": "PCG64", "state": {"state": state, "inc": inc},
                       "has_uint32": 0, "uinteger": 0})
    return states


def reusable_generator() -> np.random.Generator:
    """A NumPy generator on PCG64 that a slice sets to each of its samples' :func:`pcg64_states`
    in turn with :func:`seeded` (one per slice: threads must not share it)."""
    return np.random.Generator(np.random.PCG64(0))


def seeded(rng: np.random.Generator, state: dict) -> np.random.Generator:
    """``rng`` (a :func:`reusable_generator`) set to a sample's :func:`pcg64_states` entry: the
    generator ``numpy.random.default_rng([seed, stream])`` would be."""
    rng.bit_generator.state = state
    return rng

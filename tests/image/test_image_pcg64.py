"""The batch seeding of the per-sample NumPy generators gives NumPy's own streams."""

import numpy as np
import pytest

from mmr_augment.image._kernels.pcg64 import pcg64_states, reusable_generator, seeded

SEEDS = [0, 1, 2, 7, 12_345, 2**31 - 1, 2**32 - 1, 3_141_592_653]


@pytest.mark.parametrize("stream", [0, 1, 2, 7, 2**32 - 1])
def test_states_are_numpys_pcg64_seeded_with_seed_and_stream(stream):
    seeds = SEEDS + np.random.default_rng(stream % 97).integers(0, 2**31, 40).tolist()
    for seed, state in zip(seeds, pcg64_states(seeds, stream), strict=True):
        assert state == np.random.PCG64([seed, stream]).state


def test_seeds_of_more_than_one_word_are_seeded_by_numpy():
    states = pcg64_states([5, 2**40], 0)
    assert states == [np.random.PCG64([5, 0]).state, np.random.PCG64([2**40, 0]).state]
    assert pcg64_states([3], 2**33)[0] == np.random.PCG64([3, 2**33]).state
    assert pcg64_states([], 0) == []
    with pytest.raises(ValueError):  # NumPy refuses negative entropy, and so do we
        pcg64_states([-1], 0)


def test_a_reused_generator_draws_each_samples_default_rng_stream():
    rng = reusable_generator()
    for seed, state in zip(SEEDS, pcg64_states(SEEDS, 4), strict=True):
        got = (seeded(rng, state).random(5), rng.poisson(3.0, 5), rng.bit_generator.random_raw(3))
        ref = np.random.default_rng([seed, 4])
        expected = (ref.random(5), ref.poisson(3.0, 5), ref.bit_generator.random_raw(3))
        for a, b in zip(got, expected, strict=True):
            np.testing.assert_array_equal(a, b)

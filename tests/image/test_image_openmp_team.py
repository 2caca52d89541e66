"""Per-sample kernels run on torch's own OpenMP team (where torch's backend is libgomp), with a
thread-pool fallback: every slice once, errors raised on the caller's thread, nested and
concurrent calls, a forked child on the pool, and the same values on either path."""

import multiprocessing
import os
import sys
import threading

import pytest
import torch

import mmr_augment as ma
from mmr_augment.image._kernels import threads
from mmr_augment.image._kernels.openmp import openmp_team

linux_openmp = pytest.mark.skipif(
    not sys.platform.startswith("linux")
    or "ATen parallel backend: OpenMP" not in torch.__config__.parallel_info(),
    reason="torch's OpenMP team is used on Linux builds with the OpenMP backend")


@pytest.fixture
def two_threads(torch_threads):
    torch_threads(2)


@pytest.fixture
def small_slices(monkeypatch):
    """Two slices even for this file's small batches (which would otherwise run on the
    caller's thread alone: not worth a second thread)."""
    monkeypatch.setattr(threads, "SLICE_VALUES", 1)


def batch(seed: int = 0) -> torch.Tensor:
    return torch.rand(6, 1, 40, 48, generator=torch.Generator().manual_seed(seed))


OPS = [ma.JPEG(quality=(20, 80)), ma.ImpulseNoise(), ma.PoissonNoise(), ma.Gamma(),
       ma.GaussianNoise(std=0.1)]


@linux_openmp
def test_torch_libgomp_is_found_and_both_threads_work(two_threads):
    assert openmp_team() is not None
    seen, where = [], set()

    def work(start, stop):
        seen.extend(range(start, stop))
        where.add(threading.get_native_id())

    threads.run_in_slices(work, 9)
    assert sorted(seen) == list(range(9))
    assert len(where) == 2 and threading.get_native_id() in where  # the caller is one of them


@pytest.mark.parametrize("team", [True, False])
def test_work_too_small_for_two_slices_stays_on_the_callers_thread(two_threads, monkeypatch,
                                                                    team):
    if not team:
        monkeypatch.setattr(threads, "openmp_team", lambda: None)
    where = {}

    def work(start, stop):
        where[(start, stop)] = threading.get_native_id()

    threads.run_in_slices(work, 64, 64 * 28 * 28)  # 64 images of 28 px
    assert where == {(0, 64): threading.get_native_id()}
    where.clear()
    threads.run_in_slices(work, 64, 64 * 64 * 64)  # 64 images of 64 px
    assert sorted(where) == [(0, 32), (32, 64)]
    where.clear()
    threads.run_in_slices(work, 64, 64 * 128 * 128, weight=8)
    assert list(where) == [(0, 64)]


@pytest.mark.parametrize("team", [True, False])
def test_an_error_in_a_slice_is_raised_by_the_caller_and_the_next_call_works(two_threads,
                                                                            monkeypatch, team):
    if not team:
        monkeypatch.setattr(threads, "openmp_team", lambda: None)

    def fail_in_second(start, stop):
        if start:
            raise ValueError(f"slice from {start}")

    with pytest.raises(ValueError, match="slice from 5"):
        threads.run_in_slices(fail_in_second, 10)
    seen = []
    threads.run_in_slices(lambda start, stop: seen.extend(range(start, stop)), 4)
    assert sorted(seen) == [0, 1, 2, 3]


def test_nested_and_concurrent_calls_cover_every_sample(two_threads):
    def nested(start, stop):
        inner = []
        threads.run_in_slices(lambda a, b: inner.extend(range(a, b)), 6)
        assert sorted(inner) == list(range(6))
        totals.append(stop - start)

    totals = []
    threads.run_in_slices(nested, 8)
    assert sum(totals) == 8

    sums = []

    def caller(k):
        for _ in range(10):
            part = []
            threads.run_in_slices(lambda a, b, part=part: part.extend(range(a, b)), 20 + k)
            sums.append(sum(part) == (20 + k) * (19 + k) // 2)

    callers = [threading.Thread(target=caller, args=(k,)) for k in range(3)]
    for t in callers:
        t.start()
    for t in callers:
        t.join(60)
    assert sums == [True] * 30


@pytest.mark.parametrize("op", OPS, ids=lambda op: type(op).__name__)
def test_team_and_thread_pool_give_the_same_values(two_threads, small_slices, monkeypatch, op):
    x = batch(1)
    params = op.sample(6, 3)
    on_team = op.apply(x, params)
    monkeypatch.setattr(threads, "openmp_team", lambda: None)
    assert torch.equal(op.apply(x, params), on_team)


def test_jpeg_opens_one_scratch_file_per_thread_not_per_call(two_threads, small_slices):
    op = ma.JPEG(quality=40)
    x = batch(2)
    op(x, generator=0)
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("counts open files through /proc")
    before = len(os.listdir("/proc/self/fd"))
    for seed in range(15):
        op(x, generator=seed)
    assert len(os.listdir("/proc/self/fd")) == before


def _in_child(queue) -> None:
    torch.set_num_threads(2)
    # a NumPy array, not a tensor: torch.multiprocessing would share a tensor's storage
    # through a file descriptor the child closes when it exits
    queue.put((openmp_team() is None, ma.JPEG(quality=30)(batch(4), generator=5).numpy()))


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork")
def test_a_forked_child_uses_the_thread_pool_and_gets_the_same_values(two_threads,
                                                                      small_slices):
    threads.run_in_slices(lambda start, stop: None, 4)  # the parent's team exists
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_in_child, args=(queue,))
    child.start()
    pooled, values = queue.get(timeout=120)
    child.join(60)
    assert child.exitcode == 0 and pooled
    assert torch.equal(torch.from_numpy(values), ma.JPEG(quality=30)(batch(4), generator=5))

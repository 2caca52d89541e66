import os
from collections import Counter

import pytest
import torch
from hypothesis import settings

from mmr_augment.extras import load_optional_ops

# Register the ops of every installed extra (text ops, ReportStyle) before test modules read
# the registry at import; in the core environment this loads nothing.
load_optional_ops()

settings.register_profile("default", max_examples=25, deadline=None)
# the fuzz campaign: 10,000 examples per target (FUZZ_EXAMPLES=N for a shorter pass)
settings.register_profile("fuzz", max_examples=int(os.environ.get("FUZZ_EXAMPLES", 10_000)),
                          deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

torch.set_num_threads(2)


@pytest.fixture
def torch_threads():
    """``torch_threads(n)`` sets torch's thread count for one test; restored after it."""
    before = torch.get_num_threads()
    yield torch.set_num_threads
    torch.set_num_threads(before)


CUDA = torch.cuda.is_available()
DEVICES = ["cpu"] + (["cuda"] if CUDA else [])


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "cuda" in item.keywords and not CUDA:
            item.add_marker(skip)


# ----------------------------------------------------------------- fuzz example counts
_FUZZ_COUNTS: Counter = Counter()


@pytest.fixture(scope="session")
def fuzz_counts() -> Counter:
    """Examples run per fuzz target (tests/hostile/test_fuzz.py); printed in the summary."""
    return _FUZZ_COUNTS


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _FUZZ_COUNTS:
        return
    profile = os.environ.get("HYPOTHESIS_PROFILE", "default")
    terminalreporter.section(f"fuzz examples per target (profile {profile!r})")
    for target, count in sorted(_FUZZ_COUNTS.items()):
        terminalreporter.write_line(f"{count:>8,}  {target}")
    terminalreporter.write_line(f"{sum(_FUZZ_COUNTS.values()):>8,}  total, "
                                f"{len(_FUZZ_COUNTS)} targets")

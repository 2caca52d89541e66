"""mmr_train: trains and evaluates Robust-MMR with mmr_augment's policies."""

__version__ = "0.1.0"

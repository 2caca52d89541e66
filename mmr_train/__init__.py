"""mmr_train: trains and evaluates Robust-MMR with mmr_augment's policies."""

from mmr_augment.extras import require

# The `train` extra (report stack, MONAI, tokenizers, tqdm, matplotlib): checked without
# importing any of them, so `mmr-train --help` stays fast and a core install gets the fix.
require("train", "spacy", "scispacy", "nltk", "monai", "einops", "tokenizers", "tqdm",
        "matplotlib")

__version__ = "0.1.0"

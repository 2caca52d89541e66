"""WordPiece report tokenizer (HuggingFace ``tokenizers``): train offline, save, load, encode.

The vocabulary is trained from report texts (lower-cased BERT normaliser, ``BertPreTokenizer``,
special tokens ``[PAD] [UNK] [CLS] [SEP] [MASK]``, which get ids 0-4 when trained here). Every
encoding is ``[CLS] text [SEP]``; batches are truncated to ``max_length`` and padded to the
longest sequence. Character offsets (into the text given) come back with the ids, so text edits
can be mapped to tokens.

Example:
    >>> tok = ReportTokenizer.train(["No pleural effusion.", "Mild cardiomegaly."] * 5,
    ...                             vocab_size=80)
    >>> enc = tok.encode_batch(["no effusion", "mild"], max_length=8)
    >>> enc.input_ids.shape, tok.decode(enc.input_ids[0])
    (torch.Size([2, 4]), 'no effusion')
    >>> enc.offsets[0].tolist()
    [[0, 0], [0, 2], [3, 11], [0, 0]]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import torch
from tokenizers import (
    Encoding,
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
)
from torch.nn.utils.rnn import pad_sequence

from mmr_augment.errors import ConfigError, InputError, InputTypeError

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
TOKENIZER_FILE = "tokenizer.json"
#: Texts whose encodings :meth:`ReportTokenizer.encode_batch` keeps (per tokenizer).
CACHE_SIZE = 20_000


@dataclass
class TokenBatch:
    """A tokenized batch; every tensor is ``(B, L)`` except ``offsets`` ``(B, L, 2)``.

    Attributes:
        input_ids: int64 token ids, ``[PAD]`` beyond each sequence.
        attention_mask: bool, True on real tokens (specials included).
        special_mask: bool, True on ``[CLS]``, ``[SEP]`` and ``[PAD]``.
        offsets: int64 ``[start, end)`` character span in the text; ``(0, 0)`` for specials.
        word_ids: int64 index of the word a token belongs to, -1 for specials.
    """

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    special_mask: torch.Tensor
    offsets: torch.Tensor
    word_ids: torch.Tensor

    def to(self, device: torch.device | str) -> TokenBatch:
        """Copy of the batch on ``device``."""
        return TokenBatch(*(getattr(self, f.name).to(device) for f in fields(self)))


class ReportTokenizer:
    """Thin wrapper over a ``tokenizers.Tokenizer`` that has the five special tokens."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        missing = [t for t in SPECIAL_TOKENS if tokenizer.token_to_id(t) is None]
        if missing:
            raise ConfigError(f"tokenizer lacks special tokens {missing}; train one with "
                              "ReportTokenizer.train or add them to your tokenizer.json")
        self.tokenizer = tokenizer
        self._encoded: dict[tuple[str, int], _Encoding] = {}
        self.pad_id, self.unk_id, self.cls_id, self.sep_id, self.mask_id = (
            tokenizer.token_to_id(t) for t in SPECIAL_TOKENS)

    @classmethod
    def train(cls, texts: Iterable[str], vocab_size: int = 2000,
              min_frequency: int = 2) -> ReportTokenizer:
        """Build a WordPiece vocabulary of at most ``vocab_size`` entries from ``texts``.

        Deterministic (the same texts give the same ids in every process, which exact resume
        and DDP ranks rely on; the ``tokenizers`` WordPiece trainer breaks merge ties
        differently from run to run): special tokens, then every character seen (word-initial
        and ``##`` continuation, so nothing is unknown), then whole words seen at least
        ``min_frequency`` times, most frequent first, ties alphabetical. Normalisation,
        pre-tokenisation and encoding are the ``tokenizers`` BERT components.
        """
        tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        tok.normalizer = normalizers.BertNormalizer(lowercase=True)
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        words: Counter[str] = Counter()
        for text in _checked(texts):
            norm = tok.normalizer.normalize_str(text)
            words.update(w for w, _ in tok.pre_tokenizer.pre_tokenize_str(norm))
        chars = sorted({c for w in words for c in w})
        pieces = list(SPECIAL_TOKENS) + chars + [f"##{c}" for c in chars]
        if len(pieces) > vocab_size:
            raise ConfigError(f"vocab_size={vocab_size} is below the {len(pieces)} special "
                              f"tokens and characters of this corpus; raise it")
        ranked = sorted((w for w, n in words.items() if n >= min_frequency and len(w) > 1),
                        key=lambda w: (-words[w], w))
        pieces += ranked[: vocab_size - len(pieces)]
        tok.model = models.WordPiece({p: i for i, p in enumerate(pieces)}, unk_token="[UNK]")
        tok.add_special_tokens(list(SPECIAL_TOKENS))  # already ids 0-4; marks them special
        tok.decoder = decoders.WordPiece()
        tok.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
        return cls(tok)

    @classmethod
    def load(cls, path: str | Path) -> ReportTokenizer:
        """Load a ``tokenizer.json`` (or a folder holding one)."""
        path = Path(path)
        if path.is_dir():
            path = path / TOKENIZER_FILE
        if not path.is_file():
            raise ConfigError(f"tokenizer file not found: {path}; train one with "
                              "ReportTokenizer.train(texts).save(folder)")
        return cls(Tokenizer.from_file(str(path)))

    def save(self, path: str | Path) -> Path:
        """Write ``tokenizer.json`` (``path`` may be a folder, e.g. the checkpoint's)."""
        path = Path(path)
        if path.suffix != ".json":
            path.mkdir(parents=True, exist_ok=True)
            path = path / TOKENIZER_FILE
        self.tokenizer.save(str(path))
        return path

    @property
    def vocab_size(self) -> int:
        """Number of entries in the vocabulary, special tokens included."""
        return self.tokenizer.get_vocab_size()

    def encode_batch(self, texts: Sequence[str], max_length: int) -> TokenBatch:
        """Tokenize ``texts`` to at most ``max_length`` tokens each, padded to the longest.

        Encodings are memoised per ``(text, max_length)`` (the last :data:`CACHE_SIZE`
        texts): training and evaluation encode the same clean reports again and again.
        """
        if max_length < 2:
            raise ConfigError(f"max_length must be >= 2 ([CLS] and [SEP]), got {max_length}")
        texts = list(_checked(texts))
        if not texts:
            raise InputError("encode_batch needs at least one text")
        known = {t: self._encoded.get((t, max_length)) for t in dict.fromkeys(texts)}
        new = [t for t, encoding in known.items() if encoding is None]
        if new:
            self.tokenizer.enable_truncation(max_length)
            self.tokenizer.no_padding()
            for text, enc in zip(new, self.tokenizer.encode_batch(new), strict=True):
                known[text] = self._remember((text, max_length), _Encoding.of(enc))
        rows = [known[t] for t in texts]
        lengths = torch.tensor([len(r.ids) for r in rows])
        return TokenBatch(
            input_ids=_pad([r.ids for r in rows], self.pad_id),
            attention_mask=torch.arange(int(lengths.max()))[None] < lengths[:, None],
            special_mask=_pad([r.special for r in rows], True),
            offsets=_pad([r.offsets for r in rows], 0),
            word_ids=_pad([r.word_ids for r in rows], -1))

    def _remember(self, key: tuple[str, int], encoding: _Encoding) -> _Encoding:
        while len(self._encoded) >= CACHE_SIZE:
            self._encoded.pop(next(iter(self._encoded)), None)  # the oldest entry
        self._encoded[key] = encoding
        return encoding

    def decode(self, ids: torch.Tensor) -> str:
        """Text of one id sequence, special tokens skipped."""
        return self.tokenizer.decode(ids.tolist(), skip_special_tokens=True)


@dataclass(frozen=True)
class _Encoding:
    """One text's unpadded encoding (1-D tensors; ``offsets`` ``(L, 2)``)."""

    ids: torch.Tensor
    special: torch.Tensor
    offsets: torch.Tensor
    word_ids: torch.Tensor

    @classmethod
    def of(cls, enc: Encoding) -> _Encoding:
        return cls(torch.tensor(enc.ids, dtype=torch.int64),
                   torch.tensor(enc.special_tokens_mask, dtype=torch.bool),
                   torch.tensor(enc.offsets, dtype=torch.int64).reshape(-1, 2),
                   torch.tensor([-1 if w is None else w for w in enc.word_ids],
                                dtype=torch.int64))


def _pad(rows: list[torch.Tensor], value: int | bool) -> torch.Tensor:
    return pad_sequence(rows, batch_first=True, padding_value=value)


def _checked(texts: Iterable[str]) -> Iterable[str]:
    for t in texts:
        if not isinstance(t, str):
            raise InputTypeError(f"report texts must be str, got {type(t).__name__}")
        yield t

"""ReportTokenizer: training, special tokens, offsets, truncation, padding, save/load."""

import pytest

pytest.importorskip("tokenizers", reason="needs the train extra: pip install 'mmr[train]'")

from tokenizers import Tokenizer, models

from mmr_augment.errors import ConfigError, InputError, InputTypeError
from mmr_train.tokenizer import SPECIAL_TOKENS, ReportTokenizer

CORPUS = ["No pleural effusion or pneumothorax.", "Mild cardiomegaly.",
          "Right lower lobe opacity, likely atelectasis."] * 4


@pytest.fixture(scope="module")
def tok():
    return ReportTokenizer.train(CORPUS, vocab_size=120, min_frequency=1)


def test_special_tokens_get_the_first_ids(tok):
    assert [tok.tokenizer.token_to_id(t) for t in SPECIAL_TOKENS] == [0, 1, 2, 3, 4]
    assert (tok.pad_id, tok.unk_id, tok.cls_id, tok.sep_id, tok.mask_id) == (0, 1, 2, 3, 4)
    assert tok.vocab_size <= 120


def test_batch_is_cls_text_sep_padded_to_longest(tok):
    enc = tok.encode_batch(["Mild cardiomegaly.", "No effusion"], max_length=32)
    ids, att = enc.input_ids, enc.attention_mask
    assert ids.shape == att.shape == enc.special_mask.shape == enc.word_ids.shape
    lengths = att.sum(1).tolist()
    assert ids.shape[1] == max(lengths)
    for row, n in zip(ids.tolist(), lengths):
        assert row[0] == tok.cls_id and row[n - 1] == tok.sep_id
        assert row[n:] == [tok.pad_id] * (len(row) - n)
    # specials: CLS, SEP, PAD -- and they have no word and (0, 0) offsets
    assert (enc.special_mask == (enc.word_ids < 0)).all()
    assert (enc.offsets[enc.special_mask] == 0).all()


def test_offsets_point_into_the_original_text(tok):
    text = "Right LOWER lobe opacity."
    enc = tok.encode_batch([text], max_length=32)
    pieces = [tok.tokenizer.id_to_token(i) for i in enc.input_ids[0].tolist()]
    for piece, (s, e), special in zip(pieces, enc.offsets[0].tolist(),
                                      enc.special_mask[0].tolist()):
        if not special and piece != "[UNK]":
            assert text[s:e].lower() == piece.removeprefix("##")


def test_truncation_keeps_sep(tok):
    enc = tok.encode_batch([" ".join(CORPUS)], max_length=6)
    assert enc.input_ids.shape == (1, 6)
    assert enc.input_ids[0, -1].item() == tok.sep_id


def test_save_and_load_round_trip(tok, tmp_path):
    path = tok.save(tmp_path / "ckpt")
    assert path.name == "tokenizer.json"
    again = ReportTokenizer.load(tmp_path / "ckpt")
    a = tok.encode_batch(CORPUS[:3], max_length=16)
    b = again.encode_batch(CORPUS[:3], max_length=16)
    assert a.input_ids.tolist() == b.input_ids.tolist()
    assert a.offsets.tolist() == b.offsets.tolist()


def test_errors(tok, tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        ReportTokenizer.load(tmp_path / "nothing.json")
    with pytest.raises(ConfigError, match="special tokens"):
        ReportTokenizer(Tokenizer(models.WordPiece({"a": 0, "[UNK]": 1}, unk_token="[UNK]")))
    with pytest.raises(InputTypeError, match="str"):
        tok.encode_batch([b"bytes"], max_length=8)
    with pytest.raises(ConfigError, match="max_length"):
        tok.encode_batch(["x"], max_length=1)
    with pytest.raises(InputError):
        tok.encode_batch([], max_length=8)


def test_training_is_deterministic_across_processes(tmp_path):
    import subprocess
    import sys

    code = ("from mmr_train.tokenizer import ReportTokenizer as T; import json; "
            "t = T.train(['No pleural effusion.', 'Mild cardiomegaly, no effusion.'] * 3 + "
            "['Small left apical pneumothorax.'] * 2, vocab_size=60); "
            "print(json.dumps(sorted(t.tokenizer.get_vocab().items())))")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout for _ in range(2)}
    assert len(outs) == 1


def _padded_by_tokenizers(tok, texts, max_length):
    """What ``tokenizers`` itself returns with truncation and pad-to-longest."""
    raw = Tokenizer.from_str(tok.tokenizer.to_str())
    raw.enable_truncation(max_length)
    raw.enable_padding(pad_id=tok.pad_id, pad_token="[PAD]")
    encs = raw.encode_batch(texts)
    return ([e.ids for e in encs], [e.attention_mask for e in encs],
            [e.special_tokens_mask for e in encs], [[list(o) for o in e.offsets] for e in encs],
            [[-1 if w is None else w for w in e.word_ids] for e in encs])


@pytest.mark.parametrize("max_length", [4, 9, 64])
def test_memoised_batches_equal_tokenizers_padding(tok, max_length, monkeypatch):
    monkeypatch.setattr("mmr_train.tokenizer.CACHE_SIZE", 3)  # evicts while encoding
    texts = ["", "Mild cardiomegaly.", CORPUS[2], "opacity opacity", "No effusion"]
    for batch in (texts, texts[::-1], texts[1:2] * 3, texts[:1], texts + texts):
        enc = tok.encode_batch(batch, max_length)  # the second and later batches hit
        got = (enc.input_ids.tolist(), enc.attention_mask.int().tolist(),
               enc.special_mask.int().tolist(), enc.offsets.tolist(), enc.word_ids.tolist())
        assert got == _padded_by_tokenizers(tok, batch, max_length)

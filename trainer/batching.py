"""Training examples as padded tensors built once on the training device, and the batches cut
from them.

Collating Python lists into many small tensors at every step, and copying each to the device,
kept an H200 waiting on the host (about 0.35 % of its bf16 peak). Here every example is padded
once (by :func:`trainer.features.collate`) into one matrix per field on the device; a batch is
then one row gather per field of a column slice, sized from lengths kept on the host so that
cutting a batch never waits for the device.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from trainer.features import Example, collate

SORT_POOL_BATCHES = 50
"""Batches are cut from pools of this many batches sorted by length: little padding, still random."""


def make_batches(lengths: Sequence[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """One epoch's batches of example indexes: every example once, in a seeded order, each batch
    of examples of similar length (sorted within shuffled pools), the batches shuffled."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    pool = batch_size * SORT_POOL_BATCHES
    batches = []
    for begin in range(0, len(order), pool):
        chunk = sorted(order[begin:begin + pool], key=lambda index: lengths[index])
        batches.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


@dataclass
class PackedExamples:
    """Every training example, padded once, on the training device."""

    fields: dict[str, torch.Tensor]
    """``input_ids`` and ``attention_mask`` (examples × tokens); ``word_positions``,
    ``ner_labels`` and ``relation_labels`` (examples × words)."""
    tokens: np.ndarray
    """Sub-tokens per example, on the host."""
    words: np.ndarray
    """Words per example, on the host."""

    @classmethod
    def build(cls, examples: Sequence[Example], pad_id: int, device: torch.device
              ) -> PackedExamples:
        fields = {name: tensor.to(device) for name, tensor in collate(examples, pad_id).items()}
        return cls(fields, np.array([len(example.input_ids) for example in examples]),
                   np.array([len(example.word_positions) for example in examples]))

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def lengths(self) -> list[int]:
        return self.tokens.tolist()

    def batch(self, indexes: Sequence[int]) -> dict[str, torch.Tensor]:
        """The examples ``indexes``, padded to the longest of them (not of all examples)."""
        tokens = int(self.tokens[indexes].max())
        words = int(self.words[indexes].max())
        rows = torch.as_tensor(indexes, dtype=torch.long).to(
            next(iter(self.fields.values())).device, non_blocking=True)
        return {name: tensor[:, :tokens if name in ("input_ids", "attention_mask") else words]
                .index_select(0, rows) for name, tensor in self.fields.items()}

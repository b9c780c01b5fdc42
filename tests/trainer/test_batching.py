"""Batches of the training loop: every example once per epoch, a seeded order, little padding, and
packed batches equal to collating the same examples."""

import random

import torch

from trainer.batching import SORT_POOL_BATCHES, PackedExamples, make_batches
from trainer.features import Example, collate

BATCH = 4


def examples(count: int, seed: int = 0) -> list[Example]:
    rng = random.Random(seed)
    made = []
    for number in range(count):
        words = rng.randint(1, 20)
        ids = [rng.randint(5, 90) for _ in range(words + rng.randint(0, 10))]
        made.append(Example(ids, sorted(rng.sample(range(len(ids)), words)),
                            [number % 7] * words, [(number + 1) % 3] * words))
    return made


def test_each_epoch_holds_every_example_once_in_a_seeded_order():
    lengths = [len(example.input_ids) for example in examples(500)]
    first = make_batches(lengths, BATCH, random.Random(3))
    again = make_batches(lengths, BATCH, random.Random(3))
    other = make_batches(lengths, BATCH, random.Random(4))
    assert sorted(index for batch in first for index in batch) == list(range(500))
    assert first == again and first != other
    assert all(len(batch) <= BATCH for batch in first)


def test_batches_of_similar_length_pad_less_than_random_batches():
    lengths = [len(example.input_ids) for example in examples(BATCH * SORT_POOL_BATCHES)]

    def padding(batches: list[list[int]]) -> int:
        return sum(max(lengths[i] for i in batch) * len(batch) - sum(lengths[i] for i in batch)
                   for batch in batches)

    order = list(range(len(lengths)))
    random.Random(1).shuffle(order)
    unsorted = [order[i:i + BATCH] for i in range(0, len(order), BATCH)]
    assert padding(make_batches(lengths, BATCH, random.Random(1))) < padding(unsorted) / 4


def test_a_packed_batch_equals_collating_its_examples():
    made = examples(40)
    packed = PackedExamples.build(made, pad_id=1, device=torch.device("cpu"))
    assert len(packed) == 40
    for indexes in ([3, 17, 0], [39], list(range(0, 40, 5))):
        expected = collate([made[i] for i in indexes], pad_id=1)
        batch = packed.batch(indexes)
        assert batch.keys() == expected.keys()
        for name, tensor in expected.items():
            assert torch.equal(batch[name], tensor), name

"""Training examples: one plain example per sentence window, one marked example per main entity."""

import random

import pytest
from transformers import AutoTokenizer

from tests.fixtures.checkpoint import tiny_documents
from trainer.config import TrainingConfig
from trainer.examples import label_maps_for, training_examples
from trainer.features import IGNORE, add_marker_tokens


@pytest.mark.parametrize("marked_ner_loss", [True, False])
def test_marked_examples_carry_entity_labels_only_when_asked(tiny_encoder_dir, marked_ner_loss):
    tokenizer = AutoTokenizer.from_pretrained(tiny_encoder_dir)
    add_marker_tokens(tokenizer)
    documents = tiny_documents()
    config = TrainingConfig.from_dict(dict(
        max_length=64, relation_max_length=48, stride=16, marked_ner_loss=marked_ner_loss))
    examples = training_examples(documents, tokenizer, label_maps_for(documents), config,
                                 random.Random(0))
    plain = [e for e in examples if set(e.relation_labels) == {IGNORE}]
    marked = [e for e in examples if set(e.relation_labels) != {IGNORE}]
    entities = sum(len(document.entities) for document in documents)
    assert len(plain) == 6 and len(marked) == entities  # 6 sentences; negative rate 1 keeps all
    assert all(IGNORE not in e.ner_labels for e in plain)
    if marked_ner_loss:
        assert all(IGNORE not in e.ner_labels for e in marked)
    else:
        assert all(set(e.ner_labels) == {IGNORE} for e in marked)

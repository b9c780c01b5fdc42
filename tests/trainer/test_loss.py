"""The joint loss: the class-weighted means of both heads, and zero from a head without labels."""

import torch
from torch import nn

from trainer.model import joint_loss


def test_joint_loss_is_the_weighted_sum_of_both_heads_class_weighted_means():
    generator = torch.Generator().manual_seed(0)
    ner, relation = torch.randn(2, 5, 7, generator=generator), torch.randn(2, 5, 4, generator=generator)
    ner_labels = torch.tensor([[1, 2, -100, 0, 6], [3, -100, -100, 4, 5]])
    relation_labels = torch.tensor([[0, 0, 1, -100, 3], [0, 2, -100, 0, 0]])
    classes = torch.tensor([0.3, 1.0, 1.0, 1.0])
    expected = (0.5 * nn.functional.cross_entropy(ner.flatten(0, 1), ner_labels.flatten())
                + 2.0 * nn.functional.cross_entropy(relation.flatten(0, 1), relation_labels.flatten(),
                                                    weight=classes))
    found = joint_loss(ner, relation, ner_labels, relation_labels, 0.5, 2.0, no_relation_weight=0.3)
    assert torch.allclose(found, expected, atol=1e-6)


def test_a_head_without_labelled_words_adds_zero_not_nan():
    ner, relation = torch.randn(1, 3, 7), torch.randn(1, 3, 4)
    ner_labels = torch.tensor([[1, 2, 0]])
    nothing = torch.full((1, 3), -100)
    alone = joint_loss(ner, relation, ner_labels, nothing, 1.0, 1.0)
    assert torch.allclose(alone, nn.functional.cross_entropy(ner[0], ner_labels[0]))
    assert joint_loss(ner, relation, nothing, nothing, 1.0, 1.0).item() == 0.0

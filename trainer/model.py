"""The joint model: a Hugging Face encoder, dropout, and two linear heads over each word's first
sub-token — BIO entity tags, and relation labels towards the marked main entity."""

from __future__ import annotations

import torch
from torch import nn

from trainer.errors import TOO_FEW_LAYERS, TrainerError


class JointModel(nn.Module):
    """Encoder + dropout + NER head + relation head.

    The two entity-marker tokens get their own small trainable embedding (``marker_embeddings``)
    instead of new rows in the word-embedding matrix: the 96M-parameter matrix of
    multilingual-e5-small can then stay frozen (``freeze_word_embeddings``) while the markers
    still learn. Marker ids are the tokenizer's two highest ids (added last, see features).
    """

    def __init__(self, encoder: nn.Module, ner_labels: int, relation_labels: int,
                 marker_start_id: int, dropout: float):
        super().__init__()
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.marker_start_id = marker_start_id
        self.marker_embeddings = nn.Embedding(2, hidden)
        word_embeddings = encoder.get_input_embeddings().weight
        with torch.no_grad():  # start markers as an average word, not as noise
            self.marker_embeddings.weight.copy_(word_embeddings.mean(0, keepdim=True).expand(2, -1)
                                                + 0.02 * torch.randn(2, hidden))
        self.dropout = nn.Dropout(dropout)
        self.ner_head = nn.Linear(hidden, ner_labels)
        self.relation_head = nn.Linear(hidden, relation_labels)

    def freeze_word_embeddings(self) -> None:
        self.encoder.get_input_embeddings().weight.requires_grad_(False)

    def freeze_lower_layers(self, count: int) -> None:
        """Fix the encoder's embeddings and its ``count`` lowest layers.

        The entity markers stay trainable: fixed markers are two near-identical average words,
        and a first run with them frozen learned no relation at all (dev relation F1 0.0).
        """
        layers = getattr(getattr(self.encoder, "encoder", None), "layer", None)
        if layers is None or count > len(layers):
            raise TrainerError(
                TOO_FEW_LAYERS, f"freeze_layers={count}: expected an encoder with at least "
                                f"that many layers in .encoder.layer; found "
                                f"{'none' if layers is None else len(layers)}",
                hint="lower freeze_layers or set it to 0 for this encoder")
        frozen = [self.encoder.embeddings, *layers[:count]]
        for module in frozen:
            module.requires_grad_(False)

    def embed(self, input_ids: torch.Tensor) -> torch.Tensor:
        # Without a branch on whether the batch holds markers: testing it would make the host
        # wait for the device at every step.
        is_marker = input_ids >= self.marker_start_id
        embeddings = self.encoder.get_input_embeddings()(input_ids.masked_fill(is_marker, 0))
        markers = self.marker_embeddings((input_ids - self.marker_start_id).clamp(min=0, max=1))
        return torch.where(is_marker.unsqueeze(-1), markers.to(embeddings.dtype), embeddings)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                word_positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits ``(batch, words, labels)`` of both heads at each word's first sub-token."""
        hidden = self.encoder(inputs_embeds=self.embed(input_ids),
                              attention_mask=attention_mask).last_hidden_state
        index = word_positions.unsqueeze(-1).expand(-1, -1, hidden.size(-1))
        words = self.dropout(hidden.gather(1, index))
        return self.ner_head(words), self.relation_head(words)


def joint_loss(ner_logits: torch.Tensor, relation_logits: torch.Tensor,
               ner_labels: torch.Tensor, relation_labels: torch.Tensor,
               ner_weight: float, relation_weight: float,
               no_relation_weight: float = 1.0) -> torch.Tensor:
    """``w_ner * CE_ner + w_rel * CE_rel``, ignoring padding (-100); a head with no labelled
    word in the batch contributes zero. ``no_relation_weight`` is the class weight of relation
    label 0 ("no relation"), which covers almost every word.

    Each term is the class-weighted mean that ``cross_entropy`` computes, written as a sum over a
    clamped weight total so that an all-ignored batch needs no host-side check (a device sync)."""
    relation_classes = relation_logits.new_ones(relation_logits.size(-1), dtype=torch.float)
    relation_classes[0] = no_relation_weight
    total = ner_logits.new_zeros((), dtype=torch.float)
    for logits, labels, weight, classes in (
            (ner_logits, ner_labels, ner_weight, None),
            (relation_logits, relation_labels, relation_weight, relation_classes)):
        if weight > 0:
            labels = labels.flatten()
            summed = nn.functional.cross_entropy(logits.float().flatten(0, 1), labels,
                                                 weight=classes, ignore_index=-100, reduction="sum")
            counted = labels != -100
            weights = counted.float() if classes is None else classes[labels.clamp(min=0)] * counted
            total = total + weight * summed / weights.sum().clamp(min=1e-12)
    return total

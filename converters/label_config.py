"""Label Studio labeling configs: read the names a task needs, and build one for brat types."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring

from converters.errors import BAD_LABEL_CONFIG, ConversionError
from converters.names import TYPE_HINT, short, type_problem

FRAGMENT_RELATION = "fragment"
"""Relation label that links the fragments of one discontinuous entity, each to the next.

Label Studio has no discontinuous region, so an entity with several fragments becomes one
region per fragment, all with the entity's label, chained by relations with this label.
"""

PALETTE = ("#f94144", "#577590", "#f9c74f", "#43aa8b", "#f3722c", "#90be6d", "#277da1",
           "#f8961e", "#9b5de5", "#00bbf9", "#e07a5f", "#3d405b")
"""Distinct label colours; they repeat after twelve types."""


@dataclass
class LabelConfig:
    """What converting to and from Label Studio results needs from a labeling config."""

    from_name: str
    to_name: str
    entity_labels: list[str] = field(default_factory=list)
    relation_labels: list[str] = field(default_factory=list)
    text_key: str = "text"
    """The task ``data`` key the ``<Text>`` tag shows (its ``value`` without ``$``)."""
    predicted_entities: dict[str, str] = field(default_factory=dict)
    """Model entity type → ``<Label>`` value, from ``<Label value="…" predicted_values="a, b">``
    (the convention of label-studio-ml-backend's ``build_label_map``)."""
    predicted_relations: dict[str, str] = field(default_factory=dict)
    """The same for ``<Relation value="…" predicted_values="…">``."""

    def entity_label(self, model_type: str) -> str | None:
        """The label a model's entity type is shown with: its ``predicted_values`` label, else
        the label of the same name; ``None`` when the config has neither."""
        label = self.predicted_entities.get(model_type, model_type)
        return label if label in self.entity_labels else None

    def relation_label(self, model_type: str) -> str | None:
        """``entity_label`` for relation types and ``<Relation>`` values."""
        label = self.predicted_relations.get(model_type, model_type)
        return label if label in self.relation_labels else None

    def entity_type(self, label: str, known: Collection[str] | None = None) -> str | None:
        """The model's entity type a ``<Label>`` value stands for, the inverse of
        ``entity_label``: the first name in its ``predicted_values``, else the label itself.
        With ``known`` (the types a model has), the first of those the model knows, or ``None``.

        What an annotator's "Thing" region trains, under ``<Label value="Thing"
        predicted_values="MET"/>``: MET, which the model then shows as "Thing" again."""
        return _model_type(label, self.predicted_entities, self.entity_label, known)

    def relation_type(self, label: str, known: Collection[str] | None = None) -> str | None:
        """``entity_type`` for ``<Relation>`` values and relation types."""
        return _model_type(label, self.predicted_relations, self.relation_label, known)

    @property
    def has_fragments(self) -> bool:
        return FRAGMENT_RELATION in self.relation_labels


def _model_type(label: str, predicted: dict[str, str], shown_as: Callable[[str], str | None],
                known: Collection[str] | None) -> str | None:
    """The names whose ``shown_as`` is ``label``: those ``predicted_values`` list for it, in their
    order, then the label itself when it is shown unrenamed; the first (the first in ``known``)."""
    names = [name for name, shown in predicted.items() if shown == label]
    if shown_as(label) == label:
        names.append(label)
    if known is None:
        return names[0] if names else label
    return next((name for name in names if name in known), None)


def parse_label_config(xml: str, path: str | Path | None = None) -> LabelConfig:
    """The first ``<Labels>`` that points at a ``<Text>``, and the ``<Relation>`` values (C020).

    Parsed without a DTD: a ``<!DOCTYPE>``, entity declaration or external reference is refused
    (C020), so no config can expand into gigabytes ("billion laughs") or read local files.
    """
    try:
        root = defused_fromstring(xml, forbid_dtd=True)
    except ElementTree.ParseError as error:
        raise ConversionError(BAD_LABEL_CONFIG, f"labeling config is not XML: {error}", path,
                              hint="check the config in the project's Labeling Interface") from None
    except DefusedXmlException as error:
        raise ConversionError(
            BAD_LABEL_CONFIG, f"labeling config has a DTD or entity declaration "
            f"({type(error).__name__})", path,
            hint="Label Studio configs need no <!DOCTYPE> or <!ENTITY>; remove them") from None
    texts = {element.get("name"): element for element in root.iter("Text")}
    if not texts:
        raise ConversionError(BAD_LABEL_CONFIG, "labeling config has no <Text> tag", path,
                              hint='add <Text name="text" value="$text"/>')
    labels = next((element for element in root.iter("Labels")
                   if element.get("toName") in texts), None)
    if labels is None:
        raise ConversionError(
            BAD_LABEL_CONFIG, "labeling config has no <Labels> tag whose toName is a <Text> tag "
            f"(Text names: {short(', '.join(sorted(str(name) for name in texts)))})", path,
            hint='add <Labels name="label" toName="text"> with one <Label value="..."/> per type')
    to_name = labels.get("toName", "")
    text_key = (texts[to_name].get("value") or "$text").lstrip("$")
    return LabelConfig(
        from_name=labels.get("name", ""),
        to_name=to_name,
        entity_labels=[label.get("value", "") for label in labels.iter("Label")],
        relation_labels=[relation.get("value", "") for relation in root.iter("Relation")],
        text_key=text_key,
        predicted_entities=_predicted_values(labels.iter("Label")),
        predicted_relations=_predicted_values(root.iter("Relation")),
    )


def _predicted_values(tags: Iterable[ElementTree.Element]) -> dict[str, str]:
    """Model names → tag value, from each tag's comma-separated ``predicted_values``."""
    return {name.strip(): tag.get("value", "") for tag in tags
            for name in (tag.get("predicted_values") or "").split(",") if name.strip()}


def build_label_config(
    entity_types: Iterable[str], relation_types: Iterable[str], fragments: bool = False,
) -> str:
    """A config with ``<Relations>``, ``<Labels name="label">`` and ``<Text name="text">``.

    ``fragments`` adds the ``fragment`` relation label that discontinuous entities need.
    """
    relation_labels = list(dict.fromkeys(relation_types))
    entity_labels = list(dict.fromkeys(entity_types))
    if FRAGMENT_RELATION in relation_labels:
        raise ConversionError(
            BAD_LABEL_CONFIG, f"relation type '{FRAGMENT_RELATION}' is reserved for the fragments "
            "of discontinuous entities", hint="rename that relation type in the brat collection")
    if fragments:
        relation_labels.append(FRAGMENT_RELATION)
    for name in [*relation_labels, *entity_labels]:
        if problem := type_problem(name):
            raise ConversionError(BAD_LABEL_CONFIG, f"type {short(name)} {problem}",
                                  hint=TYPE_HINT)
    view = ElementTree.Element("View")
    if relation_labels:
        relations = ElementTree.SubElement(view, "Relations")
        for label in relation_labels:
            ElementTree.SubElement(relations, "Relation", value=label)
    labels = ElementTree.SubElement(view, "Labels", name="label", toName="text")
    for index, entity_type in enumerate(entity_labels):
        ElementTree.SubElement(labels, "Label", value=entity_type,
                               background=PALETTE[index % len(PALETTE)])
    ElementTree.SubElement(view, "Text", name="text", value="$text")
    ElementTree.indent(view)
    return ElementTree.tostring(view, encoding="unicode") + "\n"

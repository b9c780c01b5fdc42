"""The one typed representation of an annotated document shared by converters, trainer and backend.

It mirrors brat standoff (the richest of the formats we move between), so that every line kind
survives a trip through Label Studio and back. Offsets are Python ``str`` indexes (Unicode code
points) into ``Document.text``, end exclusive, exactly as brat counts them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """One contiguous fragment ``text[start:end]``."""

    start: int
    end: int


@dataclass
class Entity:
    """A text-bound annotation (brat ``T``): one or more fragments; several means discontinuous.

    ``text`` is the fragments' texts joined by single spaces, as brat writes it. ``score`` is the
    model's probability for predictions and ``None`` for human annotations.
    """

    id: str
    type: str
    spans: tuple[Span, ...]
    text: str
    score: float | None = None

    @property
    def start(self) -> int:
        return self.spans[0].start

    @property
    def end(self) -> int:
        return self.spans[-1].end


@dataclass
class Relation:
    """A binary relation (brat ``R``) between two annotation ids; roles default to Arg1/Arg2."""

    id: str
    type: str
    arg1: str
    arg2: str
    arg1_role: str = "Arg1"
    arg2_role: str = "Arg2"
    score: float | None = None


@dataclass
class Event:
    """A brat ``E`` line: a trigger id plus (role, id) arguments in their written order."""

    id: str
    type: str
    trigger: str
    arguments: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Attribute:
    """A brat ``A``/``M`` line; ``value`` is ``None`` for a binary attribute."""

    id: str
    name: str
    target: str
    value: str | None = None


@dataclass
class Normalization:
    """A brat ``N`` line: ``reference`` is ``DB:ID`` (e.g. ``Wikipedia:534366``)."""

    id: str
    type: str
    target: str
    reference: str
    text: str


@dataclass
class Note:
    """A brat ``#`` line (``AnnotatorNotes`` and friends)."""

    id: str
    type: str
    target: str
    text: str


@dataclass
class Equivalence:
    """A brat ``*`` line: a set of ids declared equivalent; it has no id of its own."""

    type: str
    ids: tuple[str, ...]


@dataclass
class Document:
    """A text with all its annotations. ``name`` is the path stem relative to the collection root."""

    name: str
    text: str
    entities: list[Entity] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    attributes: list[Attribute] = field(default_factory=list)
    normalizations: list[Normalization] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    equivalences: list[Equivalence] = field(default_factory=list)

    def entity_by_id(self) -> dict[str, Entity]:
        return {entity.id: entity for entity in self.entities}

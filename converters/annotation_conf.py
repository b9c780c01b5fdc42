"""brat's ``annotation.conf``: the entity, relation, event and attribute types of a collection.

Only the type names matter to the converters (they become Label Studio labels); argument
constraints are kept as brat writes them only in the sense that we never need to rewrite them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from converters.errors import BAD_ANNOTATION_CONF, ConversionError
from converters.names import TYPE_HINT, short, type_problem

SECTIONS = ("entities", "relations", "events", "attributes")
EQUIVALENCE_MARK = "<REL-TYPE>:symmetric-transitive"
"""How annotation.conf declares an equivalence (``*`` line) type among the relations."""


@dataclass
class AnnotationConf:
    """Type names in declaration order; abstract (``!``) types and macros are left out."""

    entity_types: list[str] = field(default_factory=list)
    relation_types: list[str] = field(default_factory=list)
    event_types: list[str] = field(default_factory=list)
    attribute_names: list[str] = field(default_factory=list)
    equivalence_types: list[str] = field(default_factory=list)
    source: str = field(default="", compare=False)
    """The file's text as read, so that a collection's own file can be copied verbatim."""


def parse_annotation_conf(content: str, path: str | Path | None = None) -> AnnotationConf:
    """Parse the text of an ``annotation.conf``; raises ``ConversionError`` C010 on bad structure."""
    conf = AnnotationConf(source=content)
    section: str | None = None
    for line_number, raw_line in enumerate(content.splitlines(), start=1):
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            if section not in SECTIONS:
                raise ConversionError(
                    BAD_ANNOTATION_CONF, f"unknown section [{section}]", path, line_number,
                    f"brat knows the sections {', '.join(f'[{name}]' for name in SECTIONS)}")
            continue
        if section is None:
            raise ConversionError(
                BAD_ANNOTATION_CONF, f"'{line}' appears before any [section] header", path,
                line_number, "start the file with [entities]")
        name = line.split()[0].lstrip("!")
        if raw_line.lstrip().startswith("!") or name.startswith("<"):
            continue
        if section != "attributes" and (problem := type_problem(name)):
            raise ConversionError(BAD_ANNOTATION_CONF, f"type {short(name)} {problem}", path,
                                  line_number, TYPE_HINT)
        if section == "entities":
            conf.entity_types.append(name)
        elif section == "relations" and EQUIVALENCE_MARK in line:
            conf.equivalence_types.append(name)
        elif section == "relations":
            conf.relation_types.append(name)
        elif section == "events":
            conf.event_types.append(name)
        else:
            conf.attribute_names.append(name)
    return conf


def format_annotation_conf(entity_types: list[str], relation_types: list[str]) -> str:
    """An ``annotation.conf`` that lets brat display and edit the given types."""
    lines = ["[entities]", *entity_types, "", "[relations]"]
    lines += [f"{name} Arg1:<ENTITY>, Arg2:<ENTITY>" for name in relation_types]
    lines += ["", "[events]", "", "[attributes]", ""]
    return "\n".join(lines)

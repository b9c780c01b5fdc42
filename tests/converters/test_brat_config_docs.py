"""Every brat configuration shown in README.md and docs/*.md, and the annotation.conf that ls2brat
writes, parse under the rules of brat's own server/src/projectconfig.py (nlplab/brat master,
read there and restated here; no brat code is copied):

* ``[section]`` lines open a section; blank lines, ``#`` comments, lines of hyphens and
  ``<NAME>=value`` macros are not entries; any other ``<...>`` must be a reserved name.
* An entry is ``terms`` then ``args``: in ``[labels]`` separated by a TAB only, elsewhere by the
  first whitespace; when comma-split args contain whitespace and the line has a TAB, brat re-splits
  at the TAB (a deprecated form it warns about).
* Every arg must match ``^(\\S*?):(\\S*)$``, else ``InvalidProjectConfigException``; a key in
  ``<...>`` must be reserved; any other key must match ``^(\\S+?)(\\{\\S+\\}|\\?|\\*|\\+|)$``.
* A tool (``[annotators]``, ``[disambiguators]``) without ``<URL>``, ``tool`` or ``model``, and a
  ``[search]`` or ``[normalization]`` entry without ``<URL>``, is dropped with "config error".
"""

import re
from pathlib import Path

import pytest

from converters.annotation_conf import format_annotation_conf
from tests.conftest import REPO_ROOT

RESERVED = {f"<{name}>" for name in (
    "ANY", "ENTITY", "RELATION", "EVENT", "NONE", "EMPTY", "REL-TYPE", "URL", "URLBASE", "UNICODE",
    "GLYPH-POS", "DEFAULT", "NORM", "OVERLAP", "OVL-TYPE", "INHERIT")}
SECTIONS = {"entities", "spans", "relations", "events", "attributes", "labels", "drawing",
            "options", "search", "annotators", "disambiguators", "normalization"}
NEEDS = {"annotators": ("<URL>", "tool", "model"), "disambiguators": ("<URL>", "tool", "model"),
         "search": ("<URL>",), "normalization": ("<URL>",)}
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)


class BratConfigError(ValueError):
    pass


def check_brat_config(text: str) -> int:
    """Raise BratConfigError where brat would reject or drop an entry; return the entries checked."""
    section, entries = "general", 0
    for line in text.split("\n"):
        header = re.match(r"^\s*\[(.*)\]\s*$", line)
        if header:
            section = header.group(1)
            continue
        if not line.strip() or re.match(r"^\s*#", line) or re.match(r"^\s*-+\s*$", line):
            continue
        if re.match(r"^<([a-zA-Z_-]+)>=", line):
            continue
        undefined = [name for name in re.findall(r"(<.*?>)", line) if name not in RESERVED]
        if undefined:
            raise BratConfigError(f"undefined macro {undefined[0]}: {line!r}")
        terms, args = _split(line, section)
        if not terms or any(not term for term in terms):
            raise BratConfigError(f"empty term: {line!r}")
        keys = set()
        for arg in args:
            pair = re.match(r"^(\S*?):(\S*)$", arg)
            if pair is None:
                raise BratConfigError(f"[{section}] argument {arg!r} is not KEY:VALUE without "
                                      f"spaces (InvalidProjectConfigException): {line!r}")
            key = pair.group(1)
            if not key.startswith("<") and not re.match(r"^(\S+?)(\{\S+\}|\?|\*|\+|)$", key):
                raise BratConfigError(f"bad argument key {key!r}: {line!r}")
            keys.add(key)
        missing = [key for key in NEEDS.get(section, ()) if key not in keys]
        if missing:
            raise BratConfigError(f"[{section}] {terms[0]} dropped: missing {missing[0]}: {line!r}")
        entries += 1
    return entries


def _split(line: str, section: str) -> tuple[list[str], list[str]]:
    def parts(pattern: str) -> tuple[list[str], list[str]]:
        match = re.match(pattern, line)
        if match is None:
            raise BratConfigError(f"cannot parse {line!r}")
        _, terms, args = match.groups()
        return ([t.strip() for t in terms.split("|") if t.strip()],
                [a.strip() for a in (args or "").split(",") if a.strip()])
    by_tab = r"^(\s*)([^\t]+)(?:\t(.*))?$"
    if section == "labels":
        return parts(by_tab)
    terms, args = parts(r"^(\s*)(\S+)(?:\s+(.*))?$")
    if any(re.search(r"\s", arg) for arg in args) and "\t" in line:
        terms, args = parts(by_tab)
    return terms, args


def documented_configs() -> list[tuple[str, str]]:
    """(where, text) of each fenced block in README.md and docs/*.md that has a brat section."""
    found = []
    for path in [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]:
        for block in FENCE.finditer(path.read_text(encoding="utf-8")):
            headers = re.findall(r"^\s*\[(\w+)\]\s*$", block.group(1), re.M)
            if any(header in SECTIONS for header in headers):
                line = path.read_text(encoding="utf-8")[:block.start()].count("\n") + 2
                found.append((f"{path.relative_to(REPO_ROOT)}:{line}", block.group(1)))
    return found


CONFIGS = documented_configs()


def test_the_readme_shows_a_tools_conf():
    assert any(where.startswith("README.md") and "[annotators]" in text for where, text in CONFIGS)


@pytest.mark.parametrize("where, text", CONFIGS, ids=[where for where, _ in CONFIGS])
def test_documented_brat_configuration_parses_as_brat_does(where, text):
    assert check_brat_config(text) > 0, where


def test_the_readme_tagger_urls_are_the_backends_routes():
    readme = next(text for where, text in CONFIGS if "[annotators]" in text)
    urls = re.findall(r"<URL>:(\S+)", readme)
    assert urls and all(re.match(r"^http://127\.0\.0\.1:9090/brat/tag(/\w+)?$", url) for url in urls)


def test_written_annotation_conf_parses_as_brat_does():
    assert check_brat_config(format_annotation_conf(["MET", "ECO"], ["NNG", "TSK"])) == 4


@pytest.mark.parametrize("line, problem", [
    ("RuREBus\ttool:RuREBus joint model, model:current, <URL>:http://h/brat/tag", "KEY:VALUE"),
    ("RuREBus\ttool:RuREBus, model:current, url:http://h/brat/tag", "missing <URL>"),
    ("RuREBus\tmodel:current, <URL>:http://h/brat/tag", "missing tool"),
    ("RuREBus\ttool:x, model:y, <LINK>:http://h/", "undefined macro"),
])
def test_the_rules_reject_what_brat_rejects(line, problem):
    with pytest.raises(BratConfigError, match=problem):
        check_brat_config(f"[annotators]\n{line}\n")

"""Each malformed brat line pins its code, message and hint (issue 22 item 8: these killed the
mutants of `converters/brat_ann.py` that the code-only checks of test_brat_errors.py let live)."""

from __future__ import annotations

import pytest

from converters import errors
from converters.brat_ann import parse_ann
from converters.errors import ConversionError

TEXT = "Министерство экономики утвердило программу.\n"
GOOD = "T1\tORG 0 12\tМинистерство\nT2\tACT 23 32\tутвердило\n"
TYPE_HINT = ("brat types are one word without spaces, TABs, line breaks or control characters, "
             "e.g. MET or GOL_2; rename the label")
SPACES = "separate parts with single spaces"
T_LINE = "write it as 'T1<TAB>Type 0 5<TAB>text'"
R_LINE = "write it as 'R1<TAB>Type Arg1:T1 Arg2:T2'"
E_LINE = "write it as 'E1<TAB>Type:T1 Role:T2'"
A_LINE = "write it as 'A1<TAB>Name E1 [Value]'"
N_FORM = "'N1<TAB>Reference T1 Wikipedia:534366<TAB>text'"
NOTE_FORM = "'#1<TAB>AnnotatorNotes T1<TAB>note text'"
MARKUP = "starts with '!', which annotation.conf reads as markup"


@pytest.mark.parametrize(("bad_line", "code", "message", "hint"), [
    ("T3\t 0 12\tМинистерство", errors.TRUNCATED_LINE,
     "text-bound line ends early (' 0 12\tМинистерство')", T_LINE),
    ("T3\t!ORG 0 12\tМинистерство", errors.MALFORMED_LINE, f"type '!ORG' {MARKUP}", TYPE_HINT),
    ("R1\t!TSK Arg1:T1 Arg2:T2", errors.MALFORMED_LINE, f"type '!TSK' {MARKUP}", TYPE_HINT),
    ("E1\t!Approve:T2", errors.MALFORMED_LINE, f"type '!Approve' {MARKUP}", TYPE_HINT),
    ("R1\tTSK Arg1:T1 Arg2:T2 Arg3:T1", errors.MALFORMED_LINE,
     "'TSK Arg1:T1 Arg2:T2 Arg3:T1' is not of the form 'R1<TAB>Type Arg1:T1 Arg2:T2'", SPACES),
    ("R1\tTSK T1 Arg2:T2", errors.MALFORMED_LINE, "argument 'T1' is not ROLE:ID", R_LINE),
    ("R1\tTSK Arg1:T1 T2", errors.MALFORMED_LINE, "argument 'T2' is not ROLE:ID", R_LINE),
    ("R1\tTSK Arg1:T1 :T2", errors.MALFORMED_LINE, "argument ':T2' is not ROLE:ID", R_LINE),
    ("R1\tTSK Arg1:T1 Arg2:", errors.MALFORMED_LINE, "argument 'Arg2:' is not ROLE:ID", R_LINE),
    ("R1\tTSK Arg1:T1 Arg2:T2\tx", errors.MALFORMED_LINE, "unexpected extra field 'x'", R_LINE),
    ("R1\tTSK Arg1:T1:x Arg2:T2", errors.UNKNOWN_ID,
     "refers to T1:x, which is not a T or E annotation of the document",
     "add the missing annotation or fix the id"),
    ("E1\tApprove", errors.MALFORMED_LINE, "argument 'Approve' is not ROLE:ID", E_LINE),
    ("E1\tApprove:T2 Object", errors.MALFORMED_LINE, "argument 'Object' is not ROLE:ID", E_LINE),
    ("E1\tApprove:T2\textra", errors.MALFORMED_LINE, "unexpected extra field 'extra'", E_LINE),
    ("A1\tNeg T1 value\textra", errors.MALFORMED_LINE, "unexpected extra field 'extra'", A_LINE),
    ("N1\tReference T1 Wiki:1", errors.TRUNCATED_LINE, "normalisation has no TAB before its text",
     f"write it as {N_FORM}"),
    ("N1\tReference T1 Wiki:1 extra\ttext", errors.MALFORMED_LINE,
     f"'Reference T1 Wiki:1 extra' is not of the form {N_FORM}", SPACES),
    ("N1\tReference T1 Wiki\ttext", errors.MALFORMED_LINE, "argument 'Wiki' is not ROLE:ID",
     f"write it as {N_FORM}"),
    ("#1\tAnnotatorNotes T1", errors.TRUNCATED_LINE, "note has no TAB before its text",
     f"write it as {NOTE_FORM}"),
    ("#1\tAnnotatorNotes T1 T2\tnote", errors.MALFORMED_LINE,
     f"'AnnotatorNotes T1 T2' is not of the form {NOTE_FORM}", SPACES),
    ("T" + "x" * 50, errors.TRUNCATED_LINE, f"line 'T{'x' * 39}' has no TAB after its id",
     "brat lines are 'ID<TAB>TYPE ...'; the file may have been cut off"),
    ("X1\tORG 0 12\tМинистерство", errors.MALFORMED_LINE, "unknown annotation id 'X1'",
     "ids start with T, R, E, A, M, N or # (or are '*' for equivalences)"),
    ("T1\tORG 0 12\tМинистерство", errors.DUPLICATE_ID, "id T1 is used twice",
     "give every annotation of a document its own id"),
    ("T3\tORG_" + "A" * 70, errors.TRUNCATED_LINE,
     f"text-bound line ends early ('ORG_{'A' * 56}')", T_LINE),
    ("T3\tORG zero 12\tМинистерство", errors.MALFORMED_LINE,
     "offsets 'zero 12' are not 'start end[;start end...]'", T_LINE),
    ("T3\tORG 40 99\tпрограмму.", errors.OFFSETS_OUTSIDE_TEXT,
     "span 40-99 is empty, reversed or outside the text of 44 characters",
     "offsets count characters (not bytes) of the .txt, end exclusive"),
    ("T3\tORG 0 12\tМинис", errors.TRUNCATED_LINE,
     "span text 'Минис' stops after 5 of 12 characters of 'Министерство'",
     "the line was cut off, or the span contains a line break"),
    ("T3\tORG 13 22\tэкономика", errors.SPAN_TEXT_MISMATCH,
     "span text 'экономика' differs from the .txt at 13 22: 'экономики'",
     "the .ann belongs to another version of the .txt, or its offsets are shifted"),
    ("R1\tTSK Arg1:T1 Arg2:T2\t" + "x" * 50, errors.MALFORMED_LINE,
     f"unexpected extra field '{'x' * 40}'", R_LINE),
    ("E1\tApprove:T2  Object:T1", errors.MALFORMED_LINE,
     "'Approve:T2  Object:T1' is not of the form 'E1<TAB>Type:T1 Role:T2'", SPACES),
    ("A1\tNeg", errors.TRUNCATED_LINE, "'Neg' has 1 of 2 space-separated parts", A_LINE),
    ("A1\t T1", errors.TRUNCATED_LINE, "' T1' has 1 of 2 space-separated parts", A_LINE),
    ("A1\tNeg T1 ", errors.MALFORMED_LINE,
     "'Neg T1 ' is not of the form 'A1<TAB>Name E1 [Value]'", SPACES),
    ("*\tEquiv T1", errors.TRUNCATED_LINE, "'Equiv T1' has 2 of 3 space-separated parts",
     "write it as '*<TAB>Equiv T1 T2'"),
    ("*\tEquiv T1 T2\tx", errors.MALFORMED_LINE, "unexpected extra field 'x'",
     "write it as '*<TAB>Equiv T1 T2'"),
])
def test_malformed_line_has_its_code_message_and_hint(
    bad_line: str, code: str, message: str, hint: str,
) -> None:
    with pytest.raises(ConversionError) as caught:
        parse_ann(TEXT, GOOD + bad_line + "\n", "doc")
    assert (caught.value.code, caught.value.line) == (code, 3)
    assert (caught.value.message, caught.value.hint) == (message, hint)


def test_entity_keeps_its_type_and_a_note_keeps_tabs_in_its_text() -> None:
    document, skipped = parse_ann(
        TEXT, GOOD + "N1\tReference T1 Wiki:1\tte\txt\n#1\tAnnotatorNotes T1\ta\tb\n", "doc")
    assert skipped == []
    assert [(entity.id, entity.type) for entity in document.entities] == [("T1", "ORG"), ("T2", "ACT")]
    assert [(n.id, n.text) for n in document.normalizations] == [("N1", "te\txt")]
    assert [(n.id, n.text) for n in document.notes] == [("#1", "a\tb")]


def test_blank_lines_and_repeated_equivalences_do_not_stop_parsing() -> None:
    ann = GOOD + "\n*\tEquiv T1 T2\n*\tEquiv T2 T1\nR1\tTSK Arg1:T1 Arg2:T2\n"
    document, skipped = parse_ann(TEXT, ann, "doc")
    assert skipped == []
    assert len(document.equivalences) == 2 and [r.id for r in document.relations] == ["R1"]


def test_a_dangling_reference_after_a_good_one_is_found() -> None:
    ann = GOOD + "R1\tTSK Arg1:T1 Arg2:T2\nR2\tTSK Arg1:T1 Arg2:T9\n"
    with pytest.raises(ConversionError) as caught:
        parse_ann(TEXT, ann, "doc")
    assert (caught.value.code, caught.value.line) == (errors.UNKNOWN_ID, 4)

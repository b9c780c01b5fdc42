"""The exact plain-text score table (issue 22 item 8: its header and layout had no test)."""

from trainer.scoring import format_scores

SCORES = {"ner": {"precision": 0.5, "recall": 1.0, "f1": 2 / 3,
                  "per_type": {"ORG": {"precision": 0.5, "recall": 1.0, "f1": 2 / 3,
                                       "tp": 1, "fp": 1, "fn": 0}}}}


def test_table_without_a_title_starts_with_the_track():
    assert format_scores(SCORES).split("\n") == [
        "ner",
        "  type             P       R      F1     TP     FP     FN",
        "  overall     0.5000  1.0000  0.6667      1      1      0",
        "  ORG         0.5000  1.0000  0.6667      1      1      0",
        "",
    ]


def test_a_title_is_the_first_line():
    assert format_scores(SCORES, "2 documents").split("\n")[:2] == ["2 documents", "ner"]


def test_every_false_positive_of_a_type_is_counted():
    from converters.document import Document, Entity, Span
    from trainer.scoring import score_documents

    text = "один два три"
    gold = Document("d", text, [Entity("T1", "ORG", (Span(0, 4),), "один")])
    pred = Document("d", text, [Entity("T1", "ORG", (Span(5, 8),), "два"),
                                Entity("T2", "ORG", (Span(9, 12),), "три")])
    row = score_documents({"d": gold}, {"d": pred})["ner"]["per_type"]["ORG"]
    assert (row["tp"], row["fp"], row["fn"]) == (0, 2, 1)


def test_f1_is_the_harmonic_mean_when_recall_is_neither_0_nor_1():
    from trainer.scoring import prf

    result = prf(tp=1, fp=1, fn=3)
    assert (result["precision"], result["recall"]) == (0.5, 0.25)
    assert abs(result["f1"] - 1 / 3) < 1e-12

"""``trainer.tracks``: the three tracks are scored on one predictor's two passes, with the batch
size given, and summarised in one line."""

from dataclasses import replace

from converters.document import Document
from tests.fixtures.checkpoint import tiny_documents
from trainer.tracks import evaluate_tracks, selection_score, summary


class RecordingPredictor:
    """Answers with the gold documents themselves, and records the batch size of each pass."""

    def __init__(self, gold: list[Document]):
        self.gold = {document.name: document for document in gold}
        self.batch_sizes: list[int | None] = []

    def predict(self, texts, names, batch_size=None):
        self.batch_sizes.append(batch_size)
        return [self.gold[name] for name in names]

    def predict_relations(self, documents, batch_size=None):
        self.batch_sizes.append(batch_size)
        return [replace(document, relations=[]) for document in documents]


def test_both_passes_get_the_batch_size_and_the_tracks_score_them():
    gold = tiny_documents()
    assert any(document.relations for document in gold)
    predictor = RecordingPredictor(gold)

    tracks = evaluate_tracks(predictor, gold, batch_size=3)

    assert predictor.batch_sizes == [3, 3]
    assert tracks["ner"]["f1"] == tracks["end_to_end"]["f1"] == 1.0
    assert tracks["relations_gold_entities"]["f1"] == 0.0
    assert selection_score(tracks) == 0.5


def test_summary_is_one_line_of_each_tracks_f1():
    tracks = {"ner": {"f1": 0.5}, "end_to_end": {"f1": 0.25}}
    assert summary(tracks) == "ner=0.5000 end_to_end=0.2500"

"""brat → sentences and words → brat keeps every RuREBus entity and relation (all 188 docs)."""

import pytest

from converters.brat import read_collection
from trainer.examples import align, format_representability, representability
from trainer.tokenization import training_sentences


@pytest.fixture(scope="module")
def rurebus_documents(rurebus_dir):
    return read_collection(rurebus_dir / "train").documents


def test_every_entity_maps_to_words_and_back_exactly(rurebus_documents):
    assert len(rurebus_documents) == 188
    mapped = 0
    for document in rurebus_documents:
        sentences = training_sentences(document)
        alignment = align(document, sentences)
        lost = {entity.id for entity in alignment.lost_entities}
        back = {}
        for aligned in alignment.sentences:
            for entity_id, span in aligned.entities.items():
                words = aligned.sentence.words
                back[entity_id] = (span.type, words[span.first].start, words[span.last].end)
        expected = {entity.id: (entity.type, entity.start, entity.end)
                    for entity in document.entities if entity.id not in lost}
        assert back == expected, document.name
        mapped += len(back)
    assert mapped == 54388


def test_the_whole_train_folder_is_representable(rurebus_documents):
    counts = representability(rurebus_documents)
    print(format_representability(counts))
    assert counts == {"entities": 54388, "entities_lost": 0,
                      "relations": 12644, "relations_lost": 0}

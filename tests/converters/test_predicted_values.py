"""``<Label predicted_values="…">`` read both ways: ``entity_label`` shows a model's type with the
project's label, ``entity_type`` reads the label back as the type it trains (issue 19 §4)."""

from converters.label_config import parse_label_config

CONFIG = parse_label_config(
    '<View><Relations><Relation value="Link" predicted_values="GOL, TSK"/><Relation value="NNG"/>'
    '</Relations><Labels name="label" toName="text"><Label value="Thing" predicted_values="MET"/>'
    '<Label value="Money" predicted_values=" other ,ECO"/><Label value="BIN"/></Labels>'
    '<Text name="text" value="$text"/></View>')


def test_a_label_reads_back_as_the_type_its_predicted_values_name():
    assert CONFIG.entity_type("Thing") == "MET"
    assert CONFIG.relation_type("Link") == "GOL"  # the first listed
    assert CONFIG.entity_type("BIN") == "BIN" and CONFIG.relation_type("NNG") == "NNG"
    assert CONFIG.entity_type("Unlisted") == "Unlisted"  # a label the config lacks stays itself


def test_with_the_models_types_the_first_one_it_knows_is_chosen():
    assert CONFIG.entity_type("Money") == "other"
    assert CONFIG.entity_type("Money", known={"MET", "ECO"}) == "ECO"
    assert CONFIG.relation_type("Link", known={"TSK"}) == "TSK"
    assert CONFIG.entity_type("Thing", known={"ECO"}) is None
    assert CONFIG.entity_type("BIN", known={"BIN"}) == "BIN"


def test_every_label_shown_again_is_the_label_read():
    for label in CONFIG.entity_labels:
        assert CONFIG.entity_label(CONFIG.entity_type(label)) == label
    for label in CONFIG.relation_labels:
        assert CONFIG.relation_label(CONFIG.relation_type(label)) == label

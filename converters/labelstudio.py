"""The Label Studio side of the converters, in one import: configs, results, tasks, exports.

How brat annotations are represented in Label Studio is described in ``converters.ls_write``
and in the README section "Converters".
"""

from converters.label_config import (
    FRAGMENT_RELATION, LabelConfig, build_label_config, parse_label_config,
)
from converters.ls_export import load_export, read_export
from converters.ls_read import result_to_document
from converters.ls_write import (
    BRAT_DATA_KEY, NAME_DATA_KEY, NOTHING_FOUND_SCORE, RELATION_IDS_DATA_KEY, brat_extras,
    document_to_prediction, document_to_result, document_to_task, least_confident, restrict_to_config,
)

__all__ = [
    "BRAT_DATA_KEY", "FRAGMENT_RELATION", "NAME_DATA_KEY", "NOTHING_FOUND_SCORE",
    "RELATION_IDS_DATA_KEY", "LabelConfig", "brat_extras", "build_label_config",
    "document_to_prediction", "document_to_result", "document_to_task", "least_confident",
    "load_export", "parse_label_config", "read_export", "restrict_to_config", "result_to_document",
]

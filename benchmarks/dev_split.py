"""The options every dev-split benchmark takes: the checkpoint and where the split lies."""

from __future__ import annotations

import argparse
from pathlib import Path
from trainer.corpus import TEAM_CORPUS



def add_split_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, type=Path, help="checkpoint directory")
    parser.add_argument("--data", type=Path, default=TEAM_CORPUS / "train",
                        help="brat collection the split names documents of")
    parser.add_argument("--splits", type=Path, default=TEAM_CORPUS / "splits.json")
    parser.add_argument("--split", default="dev")

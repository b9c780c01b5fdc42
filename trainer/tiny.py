"""A tiny random BERT with a real WordPiece tokenizer, for tests that need an encoder directory.

About 27K parameters; it builds in a fraction of a second, loads through the same ``Auto*``
classes as a real model and its fast tokenizer gives character offsets and ``word_ids()``. It
exercises every code path except quality (see ``../shared/docs/offline-encoder.md``).
"""

from __future__ import annotations

from pathlib import Path

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
# RuREBus-like sentences: their words become whole pieces, any other word splits into characters.
TRAINING_SENTENCES = (
    "Доля сельского населения Алтайского края увеличилась в 2019 году.",
    "Повышение качества жизни населения района является главной целью программы.",
    "Администрация муниципального образования обеспечивает развитие малого и среднего бизнеса.",
    "Снижение уровня безработицы достигнуто за счёт создания новых рабочих мест.",
    "Реализация социально-экономической стратегии позволит привлечь инвестиции в экономику.",
    "На территории района действуют 12 общеобразовательных школ и 3 больницы.",
    "Основная задача - модернизация инфраструктуры жилищно-коммунального хозяйства.",
    "Объём производства продукции сельского хозяйства вырос на 5,3 процента.",
)


def build_tiny_encoder(directory: Path, seed: int = 0) -> Path:
    """Write a random ``BertModel`` (hidden 32, 2 layers, 2 heads) and its tokenizer into ``directory``."""
    import torch
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, BertTokenizerFast

    from trainer.base_encoder import quiet_transformers

    quiet_transformers()

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=False)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    # The vocabulary is built, not trained: tokenizers' WordPiece trainer breaks ties in hash
    # order, so two builds would number pieces differently and tests would train different models.
    words = {word for sentence in TRAINING_SENTENCES
             for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(sentence))}
    characters = {character for word in words for character in word}
    pieces = SPECIAL_TOKENS + sorted(words | characters | {"##" + c for c in characters})
    tokenizer = Tokenizer(models.WordPiece({piece: index for index, piece in enumerate(pieces)},
                                           unk_token="[UNK]"))
    tokenizer.normalizer = normalizer
    tokenizer.pre_tokenizer = pre_tokenizer
    tokenizer.decoder = decoders.WordPiece()
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)])
    fast = BertTokenizerFast(tokenizer_object=tokenizer, unk_token="[UNK]", sep_token="[SEP]",
                             pad_token="[PAD]", cls_token="[CLS]", mask_token="[MASK]",
                             model_max_length=128)
    fast.save_pretrained(directory)

    torch.manual_seed(seed)
    config = BertConfig(vocab_size=tokenizer.get_vocab_size(), hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=128,
                        pad_token_id=tokenizer.token_to_id("[PAD]"))
    BertModel(config, add_pooling_layer=False).save_pretrained(directory, safe_serialization=True)
    return directory

"""Settings from environment variables: defaults, parsing, and secrets kept out of repr."""

from pathlib import Path

import pytest

from backend.errors import BackendError
from backend.settings import Settings
from trainer.config import SHIPPED_MODEL, DecisionBiases


def test_defaults_follow_label_studio_conventions():
    settings = Settings.from_env({})
    assert settings.port == 9090
    assert settings.model_dir == Path("models")
    assert settings.default_model == SHIPPED_MODEL and SHIPPED_MODEL.is_dir()
    assert not settings.basic_auth_enabled


def test_every_variable_is_read():
    settings = Settings.from_env({
        "MODEL_DIR": "/srv/models", "DEFAULT_MODEL": "/srv/ckpt", "BASIC_AUTH_USER": "u",
        "BASIC_AUTH_PASS": "p", "REDIS_URL": "redis://r:6379/0", "PORT": "9191", "THREADS": "8",
    })
    assert settings.model_dir == Path("/srv/models")
    assert settings.default_model == Path("/srv/ckpt")
    assert settings.basic_auth_enabled
    assert settings.redis_url == "redis://r:6379/0"
    assert (settings.port, settings.threads) == (9191, 8)


def test_empty_variables_count_as_unset():
    settings = Settings.from_env({"DEFAULT_MODEL": "", "BASIC_AUTH_USER": "", "BASIC_AUTH_PASS": ""})
    assert settings.default_model == SHIPPED_MODEL
    assert not settings.basic_auth_enabled


@pytest.mark.parametrize("value", ["none", "None", " NONE "])
def test_default_model_none_serves_nothing(value):
    assert Settings.from_env({"DEFAULT_MODEL": value}).default_model is None


@pytest.mark.parametrize("value", ["abc", "0", "-1", "9.5"])
def test_bad_port_names_the_variable(value):
    with pytest.raises(BackendError, match=rf"B008.*PORT.*{value}"):
        Settings.from_env({"PORT": value})


def test_half_configured_basic_auth_is_refused():
    with pytest.raises(BackendError, match="BASIC_AUTH_USER and BASIC_AUTH_PASS"):
        Settings.from_env({"BASIC_AUTH_USER": "u"})


def test_secrets_stay_out_of_repr():
    settings = Settings.from_env({"BASIC_AUTH_USER": "u", "BASIC_AUTH_PASS": "pass-secret"})
    assert "pass-secret" not in repr(settings)


def test_prediction_cache_can_be_turned_off_but_not_negative():
    assert Settings.from_env({"PREDICTION_CACHE_SIZE": "0"}).prediction_cache_size == 0
    with pytest.raises(BackendError, match="PREDICTION_CACHE_SIZE: expected an integer >= 0"):
        Settings.from_env({"PREDICTION_CACHE_SIZE": "-1"})


def test_precision_is_auto_by_default_and_checked():
    assert Settings.from_env({}).precision == "auto"
    assert Settings.from_env({"PRECISION": "fp32"}).precision == "fp32"
    with pytest.raises(BackendError, match="B008.*PRECISION: expected one of auto, fp32, bf16, found 'fp16'"):
        Settings.from_env({"PRECISION": "fp16"})


def test_decision_biases_default_to_the_trainer_defaults_and_are_checked():
    assert Settings.from_env({}).biases == DecisionBiases()
    assert Settings.from_env({"OUTSIDE_BIAS": "0.5", "NO_RELATION_BIAS": "-1"}).biases == \
        DecisionBiases(outside=0.5, no_relation=-1.0)
    for bad in ("lots", "nan", "inf", "101"):
        with pytest.raises(BackendError, match=f"B008.*NO_RELATION_BIAS: expected a number from -100 to 100, found '{bad}'"):
            Settings.from_env({"NO_RELATION_BIAS": bad})

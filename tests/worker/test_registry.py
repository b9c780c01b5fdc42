"""ModelRegistry: versions per project, atomic publication, the current pointer and the default."""

import json
import threading
from pathlib import Path

import pytest

from retraining.registry import DEFAULT_PROJECT, ModelRegistry, RegistryError, project_key


def write_checkpoint(directory: Path, marker: str) -> Path:
    """A directory shaped like a checkpoint; the registry copies files and never loads them."""
    directory.mkdir(parents=True)
    (directory / "config.json").write_text(json.dumps({"marker": marker}))
    (directory / "model.safetensors").write_bytes(marker.encode() * 100)
    return directory


def test_project_key_accepts_setup_and_webhook_forms():
    assert project_key("3.1795623812") == "3"
    assert project_key(3) == "3"
    assert project_key("default") == "default"


@pytest.mark.parametrize("bad", ["../etc", "", "a/b", True, None, "3.4.5"])
def test_project_key_refuses_unsafe_values(bad):
    with pytest.raises(RegistryError, match="V001"):
        project_key(bad)


def test_empty_registry_without_default_has_no_current(tmp_path):
    registry = ModelRegistry(tmp_path / "models")
    assert registry.current("1") is None
    assert registry.versions("1") == []


def test_default_model_serves_projects_without_versions(tmp_path):
    default = write_checkpoint(tmp_path / "trained", "default")
    (default / "metrics.json").write_text(json.dumps({"ner_f1": 0.5}))
    registry = ModelRegistry(tmp_path / "models", default_model=default)
    version = registry.current("7")
    assert version.project == DEFAULT_PROJECT
    assert version.path == default
    assert version.name.startswith("default-trained-")
    assert version.metrics == {"ner_f1": 0.5}


def test_missing_default_model_is_a_clear_error(tmp_path):
    with pytest.raises(RegistryError, match="V003.*DEFAULT_MODEL"):
        ModelRegistry(tmp_path / "models", default_model=tmp_path / "absent")


def test_publish_copies_checkpoint_and_records_metrics(tmp_path):
    registry = ModelRegistry(tmp_path / "models")
    source = write_checkpoint(tmp_path / "run1", "one")
    version = registry.publish("3", source, {"ner_f1": 0.4}, [1, 2], promote=True, reason="test")
    assert version.name.startswith("p3-v0001-")
    assert version.promoted
    assert (version.path / "model.safetensors").read_bytes() == (source / "model.safetensors").read_bytes()
    assert json.loads((version.path / "metrics.json").read_text()) == {"ner_f1": 0.4}
    record = json.loads((version.path / "version.json").read_text())
    assert record["task_ids"] == [1, 2] and record["reason"] == "test"
    assert registry.current("3").name == version.name
    assert registry.current("3.1795623812").path == version.path
    # the source stays usable: publication copies
    assert (source / "model.safetensors").exists()


def test_unpromoted_version_is_listed_but_not_served(tmp_path):
    default = write_checkpoint(tmp_path / "default", "d")
    registry = ModelRegistry(tmp_path / "models", default_model=default)
    first = registry.publish("3", write_checkpoint(tmp_path / "a", "a"), {}, [], promote=True, reason="a")
    second = registry.publish("3", write_checkpoint(tmp_path / "b", "b"), {}, [], promote=False, reason="b")
    assert [v.name for v in registry.versions("3")] == [first.name, second.name]
    assert [v.promoted for v in registry.versions("3")] == [True, False]
    assert registry.current("3").name == first.name
    registry.promote("3", second.name)
    assert registry.current("3").name == second.name
    assert registry.current("4").project == DEFAULT_PROJECT
    assert registry.projects() == ["3"]


def test_publish_refuses_a_directory_that_is_not_a_checkpoint(tmp_path):
    registry = ModelRegistry(tmp_path / "models")
    (tmp_path / "empty").mkdir()
    with pytest.raises(RegistryError, match="V004"):
        registry.publish("3", tmp_path / "empty", {}, [], promote=True, reason="x")
    assert registry.versions("3") == []


def test_failed_copy_leaves_no_partial_version(tmp_path):
    registry = ModelRegistry(tmp_path / "models")
    source = write_checkpoint(tmp_path / "src", "s")
    (source / "tokenizer.json").symlink_to(tmp_path / "vanished")  # copying it fails
    with pytest.raises(OSError):
        registry.publish("3", source, {}, [], promote=True, reason="x")
    assert registry.versions("3") == []
    assert list((tmp_path / "models" / "3" / "versions").iterdir()) == []
    assert registry.current("3") is None


def test_promoting_an_unknown_version_is_a_clear_error(tmp_path):
    registry = ModelRegistry(tmp_path / "models")
    with pytest.raises(RegistryError, match="V006"):
        registry.promote("3", "p3-v0009-20260101T000000")
    with pytest.raises(RegistryError, match="V005"):
        registry.promote("3", "../../etc")


def test_concurrent_publications_get_distinct_names(tmp_path):
    registry = ModelRegistry(tmp_path / "models")
    sources = [write_checkpoint(tmp_path / f"run{i}", str(i)) for i in range(4)]
    published = []
    threads = [
        threading.Thread(target=lambda s=s: published.append(
            registry.publish("5", s, {}, [], promote=True, reason="race")))
        for s in sources
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    names = sorted(v.name for v in published)
    assert len(set(names)) == 4
    assert [n.split("-")[1] for n in names] == ["v0001", "v0002", "v0003", "v0004"]
    assert registry.current("5").name in names


def test_label_studio_connection_is_private_and_round_trips(tmp_path):
    registry = ModelRegistry(tmp_path / "models")
    assert registry.label_studio_connection("2") is None
    registry.save_label_studio_connection("2.123", "http://ls:8080", "secret-token")
    assert registry.label_studio_connection(2) == {"hostname": "http://ls:8080", "access_token": "secret-token"}
    path = tmp_path / "models" / "2" / "label_studio.json"
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_project_keeps_its_newest_versions_and_always_the_current_one(tmp_path):
    registry = ModelRegistry(tmp_path / "models", keep_versions=3)
    source = write_checkpoint(tmp_path / "run", "one")
    first = registry.publish("3", source, {}, [1], promote=True, reason="kept: current")
    later = [registry.publish("3", source, {}, [1], promote=False, reason="candidate")
             for _ in range(5)]
    names = [version.name for version in registry.versions("3")]
    assert names == [first.name] + [version.name for version in later[-3:]]
    assert registry.current("3").name == first.name
    assert not [entry for entry in (tmp_path / "models" / "3" / "versions").iterdir()
                if entry.name.startswith(".")]
    # numbering continues after removals instead of reusing a removed version's number
    newest = registry.publish("3", source, {}, [1], promote=True, reason="new current")
    assert newest.name.startswith("p3-v0007-")
    assert [version.name for version in registry.versions("3")] == \
           [version.name for version in later[-2:]] + [newest.name]

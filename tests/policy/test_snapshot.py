"""The snapshot of loaded policies: a copy that never outlives a change to what it copies."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from medpolicy.engine import Engine
from medpolicy.golden import check_case, load_cases
from medpolicy.policy.loader import load_policy
from medpolicy.policy.model import Policy
from medpolicy.policy.registry import Registry, default_policies_dir
from medpolicy.policy.snapshot import cached_policies

SOURCE = default_policies_dir() / "mcp-210"


class CountingLoader:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, folder: Path) -> Policy:
        self.calls += 1
        return load_policy(folder)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MEDPOLICY_CACHE_DIR", str(tmp_path / "cache"))
    copy = tmp_path / "policies" / "mcp-210"
    shutil.copytree(SOURCE, copy)
    return copy


def test_a_second_process_reads_the_snapshot_instead_of_the_yaml(folder: Path) -> None:
    loader = CountingLoader()
    first = cached_policies([folder], loader)
    second = cached_policies([folder], loader)
    assert loader.calls == 1
    assert [p.id for p in second] == [p.id for p in first] == ["MCP-210"]
    assert [v.id for v in second[0].versions] == [v.id for v in first[0].versions]


def test_policies_from_the_snapshot_decide_every_golden_case_as_loaded_ones(
    folder: Path,
) -> None:
    cached_policies([folder], load_policy)
    loader = CountingLoader()
    engine = Engine(Registry(cached_policies([folder], loader)))
    assert loader.calls == 0
    cases = list(load_cases(folder))
    assert len(cases) > 20
    assert [c.name for c in cases if check_case(c, engine)] == []


def test_an_edited_policy_file_is_read_again_even_when_its_size_is_unchanged(
    folder: Path,
) -> None:
    loader = CountingLoader()
    cached_policies([folder], loader)
    policy_file = folder / "policy.yaml"
    text = policy_file.read_text(encoding="utf-8")
    policy_file.write_text(text.replace("title: Donor", "title: DONOR", 1), encoding="utf-8")
    (edited,) = cached_policies([folder], loader)
    assert loader.calls == 2
    assert edited.title.startswith("DONOR")
    (again,) = cached_policies([folder], loader)
    assert loader.calls == 2
    assert again.title.startswith("DONOR")


def test_a_broken_policy_file_is_refused_even_after_a_good_snapshot(folder: Path) -> None:
    from medpolicy.errors import PolicyError

    cached_policies([folder], load_policy)
    (folder / "facts.yaml").write_text("facts: [not, a, mapping\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"facts\.yaml"):
        cached_policies([folder], load_policy)


def test_a_damaged_snapshot_is_a_miss_not_an_error(folder: Path, tmp_path: Path) -> None:
    loader = CountingLoader()
    cached_policies([folder], loader)
    (snapshot,) = (tmp_path / "cache").glob("policies-*.pickle")
    snapshot.write_bytes(b"\x80\x05not a pickle")
    assert [p.id for p in cached_policies([folder], loader)] == ["MCP-210"]
    assert loader.calls == 2


def test_turned_off_or_unwritable_the_cache_only_costs_time(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loader = CountingLoader()
    monkeypatch.setenv("MEDPOLICY_CACHE_DIR", "off")
    cached_policies([folder], loader)
    cached_policies([folder], loader)
    assert loader.calls == 2
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("MEDPOLICY_CACHE_DIR", str(blocker / "cache"))
    assert [p.id for p in cached_policies([folder], loader)] == ["MCP-210"]
    assert loader.calls == 3

"""Build hook: compile the engine's per-request modules to C with mypyc.

The modules named in ``src/medpolicy/native.py`` run once or more per request; compiled,
a batch's first pass costs about 13% less (README, "Speed"). Everything else stays
Python. The compiled modules are the same source, type-checked by mypy --strict, so they
behave the same; ``tests/test_native.py`` holds the two builds to the same answers.

If mypyc or a C compiler is missing, or ``MEDPOLICY_PURE_PYTHON`` is set, the build says
so and installs pure Python, which gives the same answers more slowly. An editable install
compiles in place (``src/``) and records a hash of each compiled source; when a source
changes afterwards, ``medpolicy.native`` loads the Python source instead of the stale
compiled module, until the next ``pip install -e .``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import sysconfig
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

ROOT = Path(__file__).parent
SRC = ROOT / "src"
SUFFIX = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
"""The file ending of a compiled module for the Python that builds."""


def _modules() -> list[str]:
    """The compiled modules, as listed in ``medpolicy/native.py`` (read, not imported:
    the package's dependencies are not installed in the build environment)."""
    text = (SRC / "medpolicy" / "native.py").read_text(encoding="utf-8")
    block = text.split("COMPILED = (", 1)[1].split(")", 1)[0]
    return [part.strip().strip('"') for part in block.split(",") if part.strip()]


class NativeBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        modules = _modules()
        record = SRC / "medpolicy" / "native.json"
        _remove_built(modules, record)
        if os.environ.get("MEDPOLICY_PURE_PYTHON"):
            self.app.display_info("medpolicy: MEDPOLICY_PURE_PYTHON is set; pure Python build")
            return
        try:
            built = _compile(modules, ROOT / "build" / "mypyc")
        except Exception as error:  # any failure leaves the pure-Python build, said aloud
            self.app.display_warning(
                f"medpolicy: compiling {', '.join(modules)} with mypyc failed ({error}); "
                "installing pure Python, which gives the same answers more slowly"
            )
            return
        hashes = {
            module: hashlib.sha256(_source(module).read_bytes()).hexdigest() for module in modules
        }
        record.write_text(json.dumps(hashes, indent=1) + "\n", encoding="utf-8")
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        if version == "editable":
            for path, name in built:
                shutil.copy2(path, SRC / name)
            return
        for path, name in built:
            build_data["force_include"][str(path)] = name
        build_data["force_include"][str(record)] = "medpolicy/native.json"


def _source(module: str) -> Path:
    return SRC.joinpath(*module.split(".")).with_suffix(".py")


def _remove_built(modules: list[str], record: Path) -> None:
    """Compiled files of an earlier build, so a pure build is pure."""
    for module in modules:
        _source(module).with_suffix(SUFFIX).unlink(missing_ok=True)
    for path in SRC.glob(f"*__mypyc{SUFFIX}"):
        path.unlink()
    record.unlink(missing_ok=True)


def _compile(modules: list[str], work: Path) -> list[tuple[Path, str]]:
    """Compile ``modules`` in ``work``; each built extension file with its path in the
    package tree (the shared runtime library sits at the top, beside ``medpolicy``)."""
    from mypyc.build import mypycify
    from setuptools import Distribution

    work.mkdir(parents=True, exist_ok=True)
    config = work / "mypy.ini"
    # The build environment has none of the package's dependencies: their types are Any
    # here (mypy --strict over the full environment is CI's job, not the build's).
    config.write_text(
        "[mypy]\nignore_missing_imports = True\nfollow_imports = silent\n", encoding="utf-8"
    )
    here = Path.cwd()
    os.chdir(SRC)
    try:
        extensions = mypycify(
            ["--config-file", str(config), *(str(_source(m).relative_to(SRC)) for m in modules)],
            opt_level="3",
            target_dir=str(work / "c"),
        )
        dist = Distribution({"ext_modules": extensions, "script_name": "setup.py"})
        command = dist.get_command_obj("build_ext")
        command.build_lib = str(work / "lib")
        command.build_temp = str(work / "temp")
        dist.run_command("build_ext")
    finally:
        os.chdir(here)
    lib = work / "lib"
    built = [(path, path.relative_to(lib).as_posix()) for path in sorted(lib.rglob(f"*{SUFFIX}"))]
    if len(built) < len(modules):
        raise RuntimeError(f"mypyc built {len(built)} extensions for {len(modules)} modules")
    return built


if __name__ == "__main__":
    sys.exit("hatch_build.py is a hatchling build hook; run pip install -e . instead")

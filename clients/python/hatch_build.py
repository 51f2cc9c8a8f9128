"""Puts the generated code (buf generate → gen/python/memoryd/v1) into the
package as ``memoryd.v1``. From a checkout it is taken from ``gen/``; an
sdist carries it under ``src/memoryd/v1``, so a wheel built from the sdist
(what ``pip install`` of an sdist and ``python -m build`` do) finds it there."""

from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class GeneratedCode(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        generated = Path(self.root, "..", "..", "gen", "python", "memoryd", "v1").resolve()
        if generated.is_dir():
            target = "src/memoryd/v1" if self.target_name == "sdist" else "memoryd/v1"
            build_data["force_include"][str(generated)] = target
        elif not Path(self.root, "src", "memoryd", "v1").is_dir():
            raise RuntimeError(f"no generated code in {generated} or src/memoryd/v1: run `npm run generate` in the memoryd checkout")

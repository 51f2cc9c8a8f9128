"""Puts what lives outside this folder into the package: the generated code
(buf generate → gen/python/memoryd/v1) as ``memoryd.v1``, and the clients'
shared retry policy (clients/service-config.json) as
``memoryd/service_config.json``. From a checkout they are taken from there;
an sdist carries them under ``src/memoryd/``, so a wheel built from the sdist
(what ``pip install`` of an sdist and ``python -m build`` do) finds them."""

from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class GeneratedCode(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        prefix = "src/memoryd" if self.target_name == "sdist" else "memoryd"
        outside = {
            Path(self.root, "..", "..", "gen", "python", "memoryd", "v1").resolve(): "v1",
            Path(self.root, "..", "service-config.json").resolve(): "service_config.json",
        }
        for source, name in outside.items():
            if source.exists():
                build_data["force_include"][str(source)] = f"{prefix}/{name}"
            elif not Path(self.root, "src", "memoryd", name).exists():
                raise RuntimeError(f"neither {source} nor src/memoryd/{name} exists: build from a memoryd checkout (`npm run generate`)")

"""A blog engine's site config file (`_config.yml`, `hugo.toml`, `config.json`, …) read by its
suffix: TOML, JSON, or YAML through the safe loader. Shared by `init` and the permalink rules."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from compiler.load import yamlsafe


def parse_config(path: Path):
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix == ".toml":
        return tomllib.loads(text)
    if path.suffix == ".json":
        return json.loads(text)
    return yamlsafe.load(text).data

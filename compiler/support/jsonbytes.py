"""JSON as bytes: the one codec for what Chapbook keeps as JSON, the build cache's memo entries
(build/memo.py) and the pandoc blocks a build holds between its steps (compile/memos.py).

orjson reads and writes a pandoc AST several times faster than the standard library. What orjson
refuses (an integer over 64 bits, nesting past its limit) the standard library writes; both give
back the same values.
"""

from __future__ import annotations

import json

import orjson

loads = orjson.loads


def dumps(value) -> bytes:
    """`value` as JSON bytes; TypeError, ValueError or RecursionError when JSON cannot hold it."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, ensure_ascii=False).encode("utf-8")

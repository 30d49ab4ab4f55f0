"""`outputs.epub` in book.yml: the EPUB backend's options, validated like the rest of the manifest."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from compiler.backends import BackendOptions


class EpubOptions(BackendOptions):
    """Unknown keys are refused (BackendOptions has extra=forbid); every field documents itself."""

    cover: str | None = Field(
        None,
        description="Cover image: a path relative to the book folder (overrides the manifest's `cover`), "
                    "or `generate` for a generated cover even when the manifest names an image.",
    )
    toc_depth: int = Field(
        2, ge=1, le=6,
        description="Heading levels listed in the table of contents: 1 = chapter titles only, "
                    "2 = chapters and their sections (##), up to 6.",
    )
    split: Literal["chapter", "single"] = Field(
        "chapter",
        description="`chapter`: one XHTML file per chapter (and per part title page and front/back matter "
                    "file); `single`: the whole text in one XHTML file.",
    )

    @field_validator("cover")
    @classmethod
    def _cover(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("cover is empty: give a path relative to the book folder, or `generate`")
        return value

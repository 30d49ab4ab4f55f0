"""Commands beyond build/check/toc, one module each; `compiler.cli` registers them."""

"""Stage 2, compiling: blog-engine syntax (`blogsyntax`), pandoc (`pandoc`), AST `transforms`, `lint`,
and `assemble`, which runs them all and returns the `Book`."""

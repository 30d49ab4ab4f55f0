"""Stage 1, loading: the manifest (`manifest`, `yamlsafe`), the posts (`sources`) and the theme (`theme`)."""

"""Run state on disk: committed episodes (the manifest), their annotation files, finished outputs."""

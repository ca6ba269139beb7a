"""Adapters for local files: org files (YAML), snapshots and the state file, plan files, payload files."""

"""Helpers shared by the test suite (a real sandbox process, ...)."""

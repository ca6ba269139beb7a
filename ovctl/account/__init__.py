"""Adapters for the account: wire names, the HTTP client, export reading, settings from the environment."""

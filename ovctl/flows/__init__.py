"""Library calls that join the core and the adapters: one per command that does more than read and render."""

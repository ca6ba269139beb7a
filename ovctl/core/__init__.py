"""The pure core: the org, the snapshot, the sync engine, the plan. No I/O; imports nothing outside ``ovctl.core``."""

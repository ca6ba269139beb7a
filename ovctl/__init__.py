"""ovctl: Officevibe (Workleap) organisations as code.

The package is split into a pure core (model, validate, engine, payload, plan, guards) that does no
I/O, adapters at the edge (YAML files, snapshot files, the HTTP client, the sandbox server) and
renderers that only read a finished plan.
"""

__version__ = "0.1.0"

"""Where files live and how they are written: paths, checked opens and locks, atomic writes, output files.
Imports only ``collab.errors`` and ``collab.config``.

An empty package on import: each module is imported where it is used (lazy start-up).
"""

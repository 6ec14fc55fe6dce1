"""Where files live and how they are written: paths, checked opens and locks, the one atomic write,
output files.

May import: collab.config, collab.errors, collab.text.

An empty package on import: each module is imported where it is used (lazy start-up).
"""

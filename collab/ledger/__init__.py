"""The append-only guarantees (contract 7.3, 7.6): the journal, its write-ahead protocol, checks,
checked reads, repair and the one writer. Imports ``collab.text`` and ``collab.store``.

An empty package on import: each module is imported where it is used (lazy start-up).
"""

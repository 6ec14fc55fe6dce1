"""Listing and removing channels: the catalog, ``rm`` and ``prune``.

May import: collab.config, collab.errors, collab.ledger, collab.live, collab.render, collab.store,
collab.text.

An empty package on import: each module is imported where it is used (lazy start-up).
"""

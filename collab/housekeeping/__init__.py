"""Listing and removing channels: the catalog, ``rm`` and ``prune``.

An empty package on import: each module is imported where it is used (lazy start-up).
"""

"""Waiting and seats (contract 6.1, 6.2): the follower and watcher, turns, presence, cursors, seats,
sessions and read receipts.

May import: collab.config, collab.errors, collab.ledger, collab.store, collab.text.

An empty package on import: each module is imported where it is used (lazy start-up).
"""

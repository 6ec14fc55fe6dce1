"""The append-only guarantees (contract 7.3, 7.6): founding a channel, the journal, its write-ahead
protocol, checks, checked reads, repair, the one writer and the entries it appends.

May import: collab.config, collab.errors, collab.integrations, collab.store, collab.text.

An empty package on import: each module is imported where it is used (lazy start-up).
"""

"""Channels on another machine, over OpenSSH (contract section 10): the address of a remote
channel, the ``ssh`` command that reaches its host, the host's side of the exchange, and the
remote channel whose commands each run ``collab ... --json`` on the host.

May import: collab.config, collab.errors, collab.housekeeping, collab.integrations, collab.live, collab.render,
collab.seat, collab.store, collab.text.

An empty package on import: each module is imported where it is used (lazy start-up).
"""

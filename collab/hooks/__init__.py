"""The plugin's wake hook (contract 8): waiting on many channels, the sleeper, the wake text and the
hook configuration. The one package above the front door besides the CLI.

May import: collab.channel, collab.config, collab.errors, collab.integrations, collab.live,
collab.remote, collab.render, collab.store, collab.text.

An empty package on import: each module is imported where it is used (lazy start-up).
"""

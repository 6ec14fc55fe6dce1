"""Agent integrations: the agents' files (slash commands, skills), their installation, and the templates.

May import: collab.config, collab.errors, collab.store.

An empty package on import: each module is imported where it is used (lazy start-up).
"""

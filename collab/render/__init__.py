"""What a person or a page sees: status, plain text, the terminal (rich), HTML (mistune), highlighting
and the render budget. Never the CLI, and nothing that writes to a channel.

May import: collab.integrations, collab.live, collab.text.

An empty package on import: each module is imported where it is used (lazy start-up).
"""

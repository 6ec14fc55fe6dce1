"""What a person or a page sees: status, plain text, the terminal (rich), HTML (mistune), highlighting
and the render budget. Imports ``collab.text`` and ``collab.store``; never the CLI.

An empty package on import: each module is imported where it is used (lazy start-up).
"""

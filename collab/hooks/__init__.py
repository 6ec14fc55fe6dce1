"""The plugin's wake hook (contract 8): waiting on many channels, the sleeper, the wake text and the
hook configuration.

An empty package on import: each module is imported where it is used (lazy start-up).
"""

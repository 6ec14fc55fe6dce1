"""Sizes collab holds to, in bytes (documented in the README): what a writer may append, whole."""

#: Largest entry body collab appends, in bytes of UTF-8.
MAX_ENTRY_BYTES = 4 * 1024 * 1024

"""Pure text: the channel format (grammar, CommonMark structure, blocks, header, parsing), bodies,
the exchange rules and the sanitiser. No I/O; imports nothing outside this package but ``collab.errors``
and ``collab.config``.

An empty package on import: each module is imported where it is used (lazy start-up).
"""

"""Pure text: the channel format (grammar, CommonMark structure, blocks, header, parsing), bodies,
the exchange rules, naming and the sanitiser. No I/O.

May import: collab.errors.

An empty package on import: each module is imported where it is used (lazy start-up).
"""

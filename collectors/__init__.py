"""nettop's engine: sources, pure parsers, sampler, ring store and snapshots.

Nothing in this package may import Textual: snapshot, doctor, record and export
run headless on the same code the UI uses.
"""

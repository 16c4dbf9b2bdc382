"""What each pane shows, derived from the store, one module per area.

Headless, so the UI, snapshot, doctor and export agree: every derivation goes
through the ViewContext (context.py), whose helpers (knobs, link names, summed
rates, windows copied once per frame) are shared instead of rewritten.
"""

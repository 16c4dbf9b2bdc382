"""nettop's terminal UI and command-line entry points."""

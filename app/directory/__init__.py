"""The directory: organisations, their offices (the contacts a sheet lists) and phones."""

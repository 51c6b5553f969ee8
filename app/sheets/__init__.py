"""Printable contact sheets: assembly (service.py), rendering, caching and the CLI.

Which contacts may appear on a sheet is decided in one place, app/directory/printable.py,
the rule that coverage, search, exports, the NGO pages and the HSDS import share.
"""

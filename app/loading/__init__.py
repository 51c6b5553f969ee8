"""Loading the directory from outside (the demo seed, CSV files) and the first keys.

Orchestration above the domains: each step goes through the directory, verification and auth
services, so loaded data has the same revisions and verifications as data entered by hand.
"""

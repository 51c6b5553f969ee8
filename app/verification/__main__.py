"""`python -m app.verification scheduler …`: the verification commands on their own."""

from app.verification.cli import main

main()

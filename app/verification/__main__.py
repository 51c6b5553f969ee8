"""`python -m app.verification …`: the verification commands on their own."""

from app.verification.cli import main

main()

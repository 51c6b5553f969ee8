"""`python -m app.schedule scheduler …`: the scheduler commands on their own."""

from app.schedule.cli import main

main()

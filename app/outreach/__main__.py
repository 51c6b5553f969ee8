"""`python -m app.outreach status|send …`: the outreach commands on their own (the same as
`homeward outreach …`, without importing the PDF stack)."""

from app.outreach.cli import outreach_app

outreach_app(prog_name="homeward outreach")

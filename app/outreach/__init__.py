"""Outreach: update requests by email, answered by the organisations without a key
(Recommendation 43, "by contacting organizations themselves")."""

"""Freshness: verification events, policy, tasks, automated checks and the scheduler."""

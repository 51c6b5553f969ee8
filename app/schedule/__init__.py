"""Scheduled work: the scheduler process, its job table and one run per trigger."""

"""Tests against a real CKAN (PostgreSQL, Redis), run with --ckan-ini=test.ini."""

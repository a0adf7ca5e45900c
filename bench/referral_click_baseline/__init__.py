"""The baseline for bench/referral_click.py: a bare Django project whose only view does one
INSERT and a 302, served by the same gunicorn settings and SQLite options as Ovation."""

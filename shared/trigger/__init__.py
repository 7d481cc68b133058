"""The cron trigger: one authenticated POST to a scheduled function (see run.py)."""

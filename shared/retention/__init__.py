"""retention: keeping the database bounded (DESIGN.md "Retention").

The rules, each with its setting (rules), and the run that applies them in small
transactions under a lock, recording what it removed (run); `python -m shared.retention`
runs it by hand in any function image.

Imports db, http (errors) and the leaves; no other domain: it deletes rows by the tables'
own rules and keeps `errorlog_counts` exact through shared/db/counters.
"""

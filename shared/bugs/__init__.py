"""bugs: what the dashboard and the repair agent do with bugs.

Listing, searching and reading them (queries), changing a status with its history and
counters (status), the repair queue and its atomic claim (tasks), the dashboard's figures
(stats) and the response shapes (serialize).

Imports http (errors), db (models, counters, sessions), releases (a bug's release and
suspect deploy on its detail) and the leaves.
"""

"""core: the values and rules every layer agrees on.

Sources, levels and statuses (vocabulary), every size limit (limits), the dedup key
(fingerprint) and making untrusted text storable (text). Pure Python: imports nothing of
ours but settings and timeutil, so the database layer and the HTTP edge may use it too.
"""

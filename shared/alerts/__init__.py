"""alerts: a new bug, a regression or a spike reaching the team's chat (DESIGN.md "Alerts").

    rules      a rule's shape and validation (http(s) URLs without credentials, secrets never
               returned) and its storage; every change bumps the rule cache
    cache      the enabled rules per process, reloaded at most every RULE_CACHE_SECONDS
    outbox     `after_ingest`, the one call inside the report's transaction: matching, spike
               counting and throttling, and the outbox row, in that transaction
    message    what a message says (Chinese): the bug's facts, its link, the CI run or workload
    channels   each chat's format and signature, and how its answer is read
    deliver    `notify`: claim what is due (SKIP LOCKED / a lease), the per-channel rate
               limit with its digest, one POST each, retries with doubling backoff
    poke       the fire-and-forget nudge to `notify` after a report that produced an alert
    worker     the local gateway's notify thread (poked, and sweeping on an interval)

Imports db (engine, counters' conventions), http (errors), core and the leaves. It must
not import shared.ingest: ingest calls into it (outbox.after_ingest, poke.poke), never the
other way round. The hot path (cache, outbox) imports neither the ORM nor `requests`.
"""

"""Every size limit in one place (README's "Limits" table mirrors this file)."""

PROJECT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
MAX_ERROR_TYPE = 255          # chars; longer is truncated
MAX_MESSAGE = 16_384          # chars; longer is truncated
MAX_FILE_PATH = 1024          # chars; longer is truncated
MAX_SHORT_FIELD = 64          # environment, version, commit_hash: chars; truncated
MAX_LINE_NUMBER = 2**31 - 1   # larger is a 422
MAX_STACK_TRACE = 65_536      # chars of a string trace; truncated (the tail is kept)
MAX_STACK_FRAMES = 200        # frames of a list trace; the innermost (last) are kept
MAX_CONTEXT_STRING = 65_536   # chars of any string inside context (e.g. log_tail); truncated
MAX_CONTEXT_KEY = 200         # chars of a context key; truncated
MAX_JSON_DEPTH = 20           # nesting of context / frames; deeper is a 422
MAX_NOTE = 4096               # chars of a status-change note; truncated
MAX_PAGE_SIZE = 200
SUMMARY_MESSAGE = 300         # chars of error_message in list items (the detail has it whole)
SUMMARY_CONTEXT_READ = 8192   # chars of the stored context a list reads to find its short keys
SUMMARY_CONTEXT_VALUE = 200   # chars of each context value in list items
DEFAULT_PROJECTS_PAGE_SIZE = 100   # /api/v1/projects without page_size
MAX_PROJECTS_PAGE_SIZE = 500       # a project row is ~150 bytes: 500 are ~75 kB
PROJECT_DISTRIBUTION_TOP = 20      # stats name this many projects; the rest are summed as "others"
MAX_PROJECT_QUERY = 64             # chars of the projects `q` search (a project id is at most 64)
MAX_PENDING_LIMIT = 100
MAX_QUERY_TEXT = 200          # chars of the bugs `q` search
SEARCH_COUNT_CAP = 1000       # a text search counts its matches up to here (`total_capped`)
SEARCH_TEXT_CHARS = 1000      # chars of a message that `q` searches (with the whole error type)
# Sentry-compatible ingest (DESIGN.md): what an SDK may send in one request.
SENTRY_MAX_ENVELOPE = 20 * 1024 * 1024   # bytes of one envelope/store body, sent or inflated; larger is a 413
SENTRY_MAX_EVENT = 1024 * 1024           # bytes of one event item; larger is a 413
SENTRY_MAX_BREADCRUMBS = 20              # the newest kept in context.sentry
SENTRY_MAX_FINGERPRINT_PARTS = 32        # more is a 422
SENTRY_MAX_FINGERPRINT_PART = 200        # chars of one part; truncated
SENTRY_CONTEXT_LINES = 5                 # pre/post context lines kept per frame
SENTRY_MAX_CONTEXT_DEPTH = 12            # deeper values in context.sentry become "[…]"

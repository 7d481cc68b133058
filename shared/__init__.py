"""Code every Log Center function shares: settings, model, fingerprint, database, HTTP."""

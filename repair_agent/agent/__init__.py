"""The agent's parts: `task_manager` (the Log Center API client) and `runner` (the repair loop)."""

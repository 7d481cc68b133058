"""Log Center's repair agent client: take pending runtime bugs, hand them to a fixing tool, record results.

`python -m repair_agent --help` lists the commands; docs/repair-agent.md describes them.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"

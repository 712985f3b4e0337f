"""Node.js functions (nodejs20.x, nodejs22.x, nodejs24.x): each execution environment is a ``node`` process running
AWS's runtime interface client, driven through the Lambda Runtime API (``..runtime_api``)."""

from .install import NodeNotFound, available

__all__ = ["NodeNotFound", "available"]

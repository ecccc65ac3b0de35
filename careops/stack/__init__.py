"""The embedded stack: Prefect server + worker + SMTP catcher on one machine."""

from careops.errors import StackError
from careops.stack.config import StackConfig
from careops.stack.runner import run_stack

__all__ = ["StackConfig", "StackError", "run_stack"]

"""The embedded stack: Prefect server + worker + SMTP catcher on one machine."""

from careops.stack.config import StackConfig, StackError
from careops.stack.runner import run_stack

__all__ = ["StackConfig", "StackError", "run_stack"]

"""Batch runs: a CSV of applicants becomes one drafted, logged message each, safely re-runnable.

``read`` reads and validates the applicant file; ``run`` drafts, logs and writes it in chunks
through the pipeline.
"""

from .read import BatchPlan as BatchPlan
from .read import BatchRow as BatchRow
from .read import RowProblem as RowProblem
from .read import detect_encoding as detect_encoding
from .read import plan_batch as plan_batch
from .read import safe_file_stem as safe_file_stem
from .run import BatchEvent as BatchEvent
from .run import BatchRun as BatchRun
from .run import BatchSummary as BatchSummary
from .run import batch_key as batch_key
from .run import drain as drain
from .run import run_batch as run_batch

__all__ = [
    "BatchEvent",
    "BatchPlan",
    "BatchRow",
    "BatchRun",
    "BatchSummary",
    "RowProblem",
    "batch_key",
    "detect_encoding",
    "drain",
    "plan_batch",
    "run_batch",
    "safe_file_stem",
]

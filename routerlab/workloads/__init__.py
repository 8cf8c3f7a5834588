"""Workloads (the questions), graders (how answers are scored) and the bundled sample workloads.

>>> from routerlab.workloads import Query, Workload, grade
>>> grade({"kind": "normalized"}, "Answer: Lisbon.", "lisbon")
1.0
"""

from __future__ import annotations

from .graders import GRADERS, JudgeGrader, grade
from .workload import Query, Workload, load_workload

__all__ = ["GRADERS", "JudgeGrader", "Query", "Workload", "grade", "load_workload"]

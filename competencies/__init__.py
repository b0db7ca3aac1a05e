"""NHS England's Leadership Competency Framework as versioned data.

The framework (six domains, their competency statements, the five-label scale) is loaded
and validated from a data file; appraisals pin the version and content hash they use.
This package imports nothing else of the project's.
"""

from competencies.errors import FrameworkError, FrameworkProblem
from competencies.framework import Domain, Framework, Statement
from competencies.loader import (
    default_framework,
    framework_from_dict,
    load_framework,
    parse_framework,
)
from competencies.names import OFFICIAL_DOMAIN_NAMES, official_domain_name
from competencies.scale import SCALE_LABEL_TEXTS, ScaleLabel
from competencies.summary import DomainSummary, median_label, summarise_all, summarise_domain

__all__ = [
    "OFFICIAL_DOMAIN_NAMES",
    "SCALE_LABEL_TEXTS",
    "Domain",
    "DomainSummary",
    "Framework",
    "FrameworkError",
    "FrameworkProblem",
    "ScaleLabel",
    "Statement",
    "default_framework",
    "framework_from_dict",
    "load_framework",
    "median_label",
    "official_domain_name",
    "parse_framework",
    "summarise_all",
    "summarise_domain",
]

"""The findings of a validation, and the report they make: a standard SHACL report
(``validation-report.ttl``) and readable lines that name the record and source line of each.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rdflib import Literal

from pledge_graph.rdf.ntriples import nt_term
from pledge_graph.rdf.vocab import SH

__all__ = ["Finding", "ValidationOutcome", "display_path", "finding_order"]


@dataclass(frozen=True, order=True)
class Finding:
    """One SHACL validation result, in a form that sorts and prints stably."""

    severity: str
    focus: str
    shape: str
    path: str
    value: str
    message: str
    component: str


@dataclass
class ValidationOutcome:
    """The merged result of validating every batch."""

    findings: list[Finding]
    locations: dict[str, str]

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == str(SH.Violation)]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity != str(SH.Violation)]

    @property
    def conforms(self) -> bool:
        return not self.violations

    def report_turtle(self) -> str:
        """Return the standard SHACL report (sh:ValidationReport) as Turtle, byte-stable."""
        lines = [
            f"@prefix sh: <{SH}> .",
            "",
            "[] a sh:ValidationReport ;",
            f"    sh:conforms {'true' if self.conforms else 'false'}"
            + (" ;" if self.findings else " ."),
        ]
        for i, f in enumerate(self.findings):
            props = [("a", "sh:ValidationResult"),
                     ("sh:resultSeverity", f"<{f.severity}>"),
                     ("sh:focusNode", f.focus)]
            props += [(p, v) for p, v in (("sh:resultPath", f.path), ("sh:value", f.value),
                                          ("sh:sourceShape", f.shape)) if v]
            props += [("sh:sourceConstraintComponent", f"<{f.component}>"),
                      ("sh:resultMessage", nt_term(Literal(f.message)))]
            body = " ;\n        ".join(f"{p} {v}" for p, v in props)
            end = " ." if i == len(self.findings) - 1 else " ,"
            lead = "    sh:result [ " if i == 0 else "        [ "
            lines.append(f"{lead}{body}\n    ]{end}")
        return "\n".join(lines) + "\n"

    def readable(self, findings: Iterable[Finding] | None = None) -> str:
        """Return one line per finding, naming the record and source line it comes from."""
        out = []
        for f in self.findings if findings is None else findings:
            where = self.locations.get(f.focus, "")
            kind = "violation" if f.severity == str(SH.Violation) else "warning"
            shape = _short(f.shape)
            value = f" value {f.value}" if f.value else ""
            out.append(f"{where + ': ' if where else ''}{kind}: {f.message} "
                       f"[{shape}; {f.focus}{value}]")
        return "\n".join(out)


def _short(shape: str) -> str:
    if "/shapes/" in shape:
        return "pgs:" + shape.rsplit("/shapes/", 1)[1].rstrip(">")
    return shape


def display_path(path: Path) -> str:
    """A record's path as a report shows it: relative to the working directory when possible."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)



def finding_order(f: Finding) -> tuple[int, str, str, str, str]:
    return (0 if f.severity == str(SH.Violation) else 1, f.focus, f.shape, f.path, f.value)

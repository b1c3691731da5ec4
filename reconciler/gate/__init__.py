"""The go/no-go gate: are a phase's success criteria met, from the evidence in the report store?"""

from reconciler.gate.criteria import INCOMPLETE, MET, NOT_MET, Outcome
from reconciler.gate.evaluate import GO, NO_GO, GateReport, evaluate_gate, gate_period, gate_summary

__all__ = ["GO", "NO_GO", "INCOMPLETE", "MET", "NOT_MET", "Outcome", "GateReport", "evaluate_gate", "gate_period",
           "gate_summary"]

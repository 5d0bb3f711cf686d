"""Synthetic multi-agency deliveries for London, with identity noise and a hidden truth.

People live simulated lives (offending on an age-crime curve, cautions and court, remand and
custody, probation and electronic monitoring, victimisation concentrated by deprivation), and
each agency writes what it saw in the contract's format (``shared/contract/EXTRACTS.md``) with
its own ids and mistakes. The truth beside the delivery says who is who.

    from localjustice.synth import generate
    summary = generate(Path("out"), until="2026-11", years=4, scale=0.1)
"""

from localjustice.synth.calibration_check import Measured
from localjustice.synth.generator import default_until, generate
from localjustice.synth.summary import SynthSummary

__all__ = ["Measured", "SynthSummary", "default_until", "generate"]

"""Optimisation models: matrices in, choices out; they never read files or draw.

Modules: ``solver`` (HiGHS through highspy), ``siting`` (location models), ``phasing``
(restoration phases) and ``districts`` (school districts); plumbing in ``_``-prefixed modules.
"""

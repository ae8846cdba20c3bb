"""First guesses for new data: column roles, outcome labels, factor rules, a starter config.

Everything here is a *suggestion* the Data page pre-fills and the user confirms; nothing is
applied silently. Detection is name-based first and checked against the values (a column
called ``month`` is only a snapshot date if its values read as dates).

Split by concern: :mod:`~calibration.autoconfig.probes` (column-name words, value probes),
:mod:`~calibration.autoconfig.outcome_values` (what an outcome column's values mean),
:mod:`~calibration.autoconfig.roles` (which column plays which role) and
:mod:`~calibration.autoconfig.starter` (factor rules and the starter config). Import from
those modules.
"""

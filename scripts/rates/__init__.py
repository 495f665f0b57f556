"""Exchange-rate updater for the ``exchange_rates`` table (``python -m scripts.rates update``).

A maintainer job, not shipped in the wheel: :mod:`.sources` (the services and the checks on
what they send), :mod:`.fetch` (the HTTP, the only module importing ``requests``), :mod:`.update`
(merge into the table, refuse implausible changes, render the CSV), :mod:`.cli` (``main()``,
which replaces the file atomically).
The table is read by :func:`cnplans.conversion.fx.read_rates_file`, the reader ``cnplans convert``
uses.
"""

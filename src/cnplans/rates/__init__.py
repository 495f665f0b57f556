"""Keeping the ``exchange_rates`` table current: fetch, check, and atomically replace it.

``cnplans rates update`` (:mod:`cnplans.rates.command`) fetches annual average rates from FRED
(series AEXCHUS, the Federal Reserve's yuan per dollar) or, with ``--source worldbank``, from the
World Bank (indicator PA.NUS.FCRF). :mod:`cnplans.rates.sources` parses and checks each service's
response, :mod:`cnplans.rates.update` merges the figures into the table and refuses implausible
changes, :mod:`cnplans.rates.fetch` does the HTTP (the only module importing ``requests``), and
:mod:`cnplans.rates.table` reads and writes the CSV file.
"""

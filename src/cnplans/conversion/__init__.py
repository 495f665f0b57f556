"""Conversion: exchange rates and the package's derived US dollar columns.

``fx`` reads the ``exchange_rates`` table and converts amounts (``cnplans.to_currency``);
``convert`` recomputes the dollar columns of ``targets.csv`` (``cnplans convert``).
"""

"""Maintainer jobs run through nox: releases, the download site, exchange rates, synthetic data."""

"""Drafting: what turns a plan's text into rows a contributor reviews and files.

``quantities`` reads the numbers a sentence states; ``draft`` proposes target rows from a text;
``scaffold`` creates sources and plans; ``filing`` adds checked rows to the tables.
"""

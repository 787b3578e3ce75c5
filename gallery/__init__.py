"""The comparison gallery and the research benchmark.

``python -m gallery build`` runs every registered method on the shipped cases
(:mod:`gallery.specs`) and stores them incrementally under ``gallery/data``
(:mod:`gallery.builder`); ``python -m gallery benchmark`` scores methods on any folder of
images x any folder of masks by hole-area bin (:mod:`gallery.benchmark`). See gallery/README.md.
"""

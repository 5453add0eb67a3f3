"""Build: the whole pipeline run over the records, in batches, into a release.

Takes the data directory; gives a release directory swapped in atomically (``staging``)
or an error and the previous release untouched. ``pipeline`` runs the stages, ``batches``
is one unit of work (map, check, serialise), ``parallel`` runs batches in worker
processes, ``release`` says whether a served release is missing or stale.
"""

"""Store: the release loaded for querying.

Takes a release directory; gives SPARQL answers as bytes. ``embedded`` is the pyoxigraph
store, ``pool`` runs its queries in worker processes (``workers``, watched and ended through
``processes``) without a network (``sandbox``), in the order ``scheduler`` decides;
``pinned`` keeps the served release in place while it is served; ``remote`` loads a release
into an external SPARQL 1.1 store and answers from it.
"""

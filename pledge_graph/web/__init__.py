"""Web: the release over HTTP.

Takes a release and a store; gives the SPARQL 1.1 Protocol endpoint (``sparql``),
dereferenceable IRIs with content negotiation (``resources``, ``negotiation``), the dumps
and dataset metadata (``dumps``), HTML pages (``pages``), behind a hardened HTTP edge
(``protocol``, ``connections``, ``limits``, ``edge``). ``serve`` starts it all.
"""

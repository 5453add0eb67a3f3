"""The release as a static site: ``pledge-graph export-site OUT``.

Takes a built release (``dist/``) and gives a directory any web server or CDN can serve:
``OUT/www/`` holds every resource the release mints in each representation the server
offers (HTML, Turtle, JSON-LD, N-Triples, RDF/XML), the dumps, VoID, DCAT, the JSON-LD
context and the pages, each made by the server's own code (``pledge_graph.web``) so the
bytes are those ``serve`` answers; ``OUT/nginx.conf`` (complete, runs unprivileged on
loopback), ``OUT/nginx/`` and ``OUT/apache/`` hold the web-server configuration that does
the server's content negotiation (``Vary: Accept``, CORS, 406, ``?format=``) and passes
``/sparql`` and ``/store`` to a running ``pledge-graph serve``. Same release, same bytes.

    export.py     the command and :func:`export_site`, which writes it all
    documents.py  the resources and the other documents, written as files
    nginx.py      the nginx configuration and its negotiation module (njs)
    apache.py     the Apache httpd configuration
"""

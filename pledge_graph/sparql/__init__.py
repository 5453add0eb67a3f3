"""SPARQL text and answers, without running anything: the grammar's terminals
(``lexer``), the SERVICE check (``guard``), answers serialised in the media type asked for
(``results``) and the example queries of queries/ (``queries``)."""

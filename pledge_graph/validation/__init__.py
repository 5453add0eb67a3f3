"""Validation: the mapped graph checked against the SHACL shapes (shapes/).

Takes a batch's triples and the shapes (``shapes``); gives findings (``report``: the SHACL
report and readable lines located in the records). ``validate`` runs the build's fast path,
the shapes compiled by the ``shacl`` engine (``shacl_compiled``), with pyshacl, the
reference, beside it where the build asks; where both run they must agree.
"""

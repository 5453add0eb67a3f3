"""Validation: the mapped graph checked against the SHACL shapes (shapes/).

Takes a batch of mapped submissions; gives a report of violations and warnings located in
the records they came from. ``validate`` runs pyshacl, the reference; ``shacl_compiled``
is the build's fast path, held equal to it by the tests.
"""

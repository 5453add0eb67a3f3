"""Mapping: records to RDF.

Takes checked records, the authority files of who pledged (``authorities``) and the
rights-holder scheme; gives each submission's triples as N-Triples lines: the pledges
(``pledges``) and the facts extracted from their words (``commitments``).
"""

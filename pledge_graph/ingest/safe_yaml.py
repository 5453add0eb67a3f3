"""YAML read event by event, in the plain subset the project's records and authority files
are written in, so that no text costs more to read than its length.

PyYAML composes a document's nodes and then builds its data; an alias (``*a``) makes the node
an anchor (``&a``) names appear again wherever it is used, so ten lines can stand for a
billion values (an alias bomb) or for a value that holds itself. Here the parser's events are
taken one at a time and turned into nodes and data in the same pass, and what these files
never need is refused at the event that brings it, before anything is built from it:

- anchors and aliases; tags (``!x``, ``!!binary``); more than one document;
- nesting deeper than ``MAX_DEPTH`` levels; field names that are not texts;
- scalars other than texts, whole numbers in decimal digits (at most ``MAX_INT_DIGITS``),
  floats, booleans and nulls: a date, ``0x1F``, ``012`` (octal in YAML 1.1) or ``1:30``
  must be quoted to be read as a text;
- the characters :data:`~pledge_graph.ingest.inputs.FORBIDDEN_CHARACTERS` lists, written as they
  are or as escapes (``"\\x00"``).

Every refusal and every syntax error is an error of the caller's class (a
:class:`~pledge_graph.errors.RecordError` for records) naming the file and the line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import yaml
from yaml.events import (
    AliasEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pledge_graph.errors import InputError
from pledge_graph.ingest.inputs import check_characters, forbidden_character

__all__ = ["MAX_DEPTH", "MAX_INT_DIGITS", "load"]

MAX_DEPTH = 16
"""Levels of nesting allowed: a record needs six (record, pledges, pledge, facts, fact, value)."""

MAX_INT_DIGITS = 18
"""Digits of the largest whole number read: every count, offset and year fits in 64 bits."""

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_TAG + t for t in ("str", "int", "float", "bool", "null"))
_MAP, _SEQ = _TAG + "map", _TAG + "seq"
_MERGE = _TAG + "merge"

# LibYAML's parser when PyYAML was built with it: records are read on every build.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """The safe loader's parser and resolver, remembering how it resolved each short plain
    scalar: files repeat the same short values (keys, numbers, statuses) thousands of times,
    and resolving one runs PyYAML's regular expressions in Python."""

    _tags: ClassVar[dict[str, str]] = {}

    def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode and implicit[0] and len(value) < 64:
            tag = self._tags.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(self._tags) < 100_000:
                    self._tags[value] = tag
            return str(tag)
        return str(super().resolve(kind, value, implicit))


class _Reader:
    """Turns one text's events into nodes and data, refusing what the module lists."""

    def __init__(self, text: str, file: str | Path, error: type[InputError],
                 expected: str) -> None:
        self.loader = _Loader(text)
        self.file = file
        self.error = error
        self.expected = expected

    def fail(self, event: Event | Node, message: str, expected: str) -> InputError:
        """The error for what starts at ``event`` (or a node made of it)."""
        mark = event.start_mark
        return self.error(message, file=self.file, line=mark.line + 1 if mark else None,
                          expected=expected)

    def document(self) -> tuple[Node | None, Any]:
        """Return the root node of the text's one document and its data (None, None when
        the text holds no document)."""
        loader = self.loader
        loader.get_event()  # the stream's start
        if loader.check_event(StreamEndEvent):
            return None, None
        loader.get_event()  # the document's start
        root = self.node(loader.get_event(), 1)
        loader.get_event()  # the document's end
        if not loader.check_event(StreamEndEvent):
            raise self.fail(loader.peek_event(), "a second YAML document",
                            "one YAML document per file (no '---' after the first)")
        return root

    def node(self, event: Any, depth: int, *, key: bool = False) -> tuple[Node, Any]:
        """Return the node ``event`` starts and its data; ``key`` when it is a mapping's key
        (which may be a merge key, '<<')."""
        kind = type(event)
        if kind is AliasEvent:
            raise self.fail(event, f"YAML alias *{event.anchor} refused",
                            "every value written out where it stands (no anchors or aliases)")
        if event.anchor is not None:
            raise self.fail(event, f"YAML anchor &{event.anchor} refused",
                            "every value written out where it stands (no anchors or aliases)")
        if event.tag is not None:
            raise self.fail(event, f"YAML tag {event.tag} refused",
                            "plain values without tags ('!' or '!!')")
        if kind is ScalarEvent:
            return self.scalar(event, key)
        if depth > MAX_DEPTH:
            raise self.fail(event, f"values nested more than {MAX_DEPTH} levels deep",
                            "the structure of docs/model.md")
        if kind is MappingStartEvent:
            return self.mapping(event, depth)
        if kind is SequenceStartEvent:
            return self.sequence(event, depth)
        raise self.fail(event, f"unexpected YAML {kind.__name__}", self.expected)

    def mapping(self, start: Any, depth: int) -> tuple[Node, dict[str, Any]]:
        items: list[tuple[Node, Node]] = []
        data: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        node = MappingNode(_MAP, items, start.start_mark, None, start.flow_style)
        get = self.loader.get_event
        while type(event := get()) is not MappingEndEvent:
            key_node, key = self.node(event, depth + 1, key=True)
            value_node, value = self.node(get(), depth + 1)
            items.append((key_node, value_node))
            if type(key) is str and key_node.tag != _MERGE:
                data[key] = value
            elif key_node.tag == _MERGE:
                self.merge(key_node, value, merged)
            else:
                raise self.fail(key_node, f"the field name {key!r} is not a text",
                                "field names as words, e.g. 'title:'")
        node.end_mark = event.end_mark
        return node, {**merged, **data} if merged else data

    def merge(self, event: Node, value: Any, into: dict[str, Any]) -> None:
        """Take in the fields of a merge key ('<<: {a: 1}'), as PyYAML does: the mapping's
        own fields win, and of a list of mappings the first wins."""
        mappings = value if isinstance(value, list) else [value]
        if not all(isinstance(m, dict) for m in mappings):
            raise self.fail(event, "a merge key ('<<') that is not followed by mappings",
                            "a mapping or a list of mappings after '<<'")
        for mapping in reversed(mappings):
            into.update(mapping)

    def sequence(self, start: Any, depth: int) -> tuple[Node, list[Any]]:
        items: list[Node] = []
        data: list[Any] = []
        node = SequenceNode(_SEQ, items, start.start_mark, None, start.flow_style)
        get = self.loader.get_event
        while type(event := get()) is not SequenceEndEvent:
            item_node, item = self.node(event, depth + 1)
            items.append(item_node)
            data.append(item)
        node.end_mark = event.end_mark
        return node, data

    def scalar(self, event: Any, key: bool) -> tuple[Node, Any]:
        value: str = event.value
        # The text holds no forbidden character (load checks first), but an escape of a
        # double-quoted scalar ("\\0") may make one.
        found = forbidden_character(value) if event.style == '"' else None
        if found is not None:
            raise self.fail(event, f"control character {found[1]} in a value",
                            "printable text (tab, line breaks and characters XML allows)")
        if event.implicit[0]:  # plain: its form says its type
            tag = _Loader._tags.get(value) or self.loader.resolve(ScalarNode, value, (True, False))
        else:  # quoted or a block: a text
            tag = _STR
        node = ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
        if tag == _STR or (tag == _MERGE and key):
            return node, value
        if tag == _NULL:
            return node, None
        if tag == _INT:
            return node, self.integer(event, node)
        if tag not in _CONSTRUCTORS:
            raise self.fail(event, f"{value[:40]!r} reads as a value of type {tag}",
                            "a text (quote it), a number, true, false or null")
        if len(value) > _MAX_OTHER:
            raise self.fail(event, f"a {_CONSTRUCTORS[tag]} of {len(value)} characters",
                            f"at most {_MAX_OTHER} characters, or a quoted text")
        try:
            return node, getattr(self.loader, f"construct_yaml_{_CONSTRUCTORS[tag]}")(node)
        except (ValueError, OverflowError) as failure:  # "2023-02-30"
            raise self.fail(event, f"bad {_CONSTRUCTORS[tag]} {value!r}: {failure}",
                            f"a valid {_CONSTRUCTORS[tag]}, or a quoted text") from None

    def integer(self, event: Event, node: ScalarNode) -> int:
        """Read a whole number: decimal digits as they are, other forms of YAML 1.1
        ('0x1A', '012', '1:30', '1_000') as PyYAML does, all of at most MAX_INT_DIGITS."""
        value = node.value
        digits = value[1:] if value[:1] in "+-" else value
        if digits.isdigit() and digits.isascii() and (digits[0] != "0" or digits == "0"):
            if len(digits) > MAX_INT_DIGITS:
                raise self.fail(event, f"a whole number of {len(digits)} digits",
                                f"a whole number of at most {MAX_INT_DIGITS} digits")
            return int(value)
        if len(value) > _MAX_OTHER:
            raise self.fail(event, f"a whole number of {len(value)} characters",
                            f"a whole number of at most {MAX_INT_DIGITS} digits")
        number: int = self.loader.construct_yaml_int(node)
        if abs(number) >= 10**MAX_INT_DIGITS:
            raise self.fail(event, f"the whole number {value!r} is too large",
                            f"a whole number of at most {MAX_INT_DIGITS} digits")
        return number


# Scalars of other types, built by PyYAML's constructor: bounded in length, every such form
# is short ("2024-01-31", "1.5e+6", "yes").
_CONSTRUCTORS = {_FLOAT: "float", _BOOL: "bool", _TAG + "timestamp": "timestamp"}
_MAX_OTHER = 64


def load(text: str, *, file: str | Path, error: type[InputError],
         expected: str) -> tuple[Node | None, Any]:
    """Return the root node of the YAML ``text`` (None when it holds no document) and the
    data it holds; ``file`` names it in errors, raised as ``error`` with ``expected``.

    >>> load("a: [1, two, null]", file="f.yaml", error=InputError, expected="a mapping")[1]
    {'a': [1, 'two', None]}
    >>> load("a: &x 1", file="f.yaml", error=InputError, expected="a mapping")
    Traceback (most recent call last):
    pledge_graph.errors.InputError: f.yaml:1: YAML anchor &x refused (expected every value written out where it stands (no anchors or aliases))
    """
    check_characters(text, file=file, error=error)
    reader = _Reader(text, file, error, expected)
    try:
        return reader.document()
    except yaml.MarkedYAMLError as failure:
        mark = failure.problem_mark or failure.context_mark
        raise error(f"invalid YAML: {failure.problem or failure.context}", file=file,
                    line=mark.line + 1 if mark is not None else None,
                    expected=expected) from None
    except yaml.reader.ReaderError as failure:
        raise error(f"invalid YAML: character U+{failure.character:04X} is not allowed",
                    file=file, line=_line_of(text, failure.position, reader.loader),
                    expected=expected) from None
    except yaml.YAMLError as failure:
        raise error(f"invalid YAML: {failure}", file=file, line=1, expected=expected) from None
    finally:
        reader.loader.dispose()


def _line_of(text: str, position: int, loader: Any) -> int:
    """The line of a reader error's position: a byte offset into the UTF-8 text for LibYAML,
    a character offset for PyYAML's own reader."""
    if isinstance(loader, yaml.SafeLoader):
        return text.count("\n", 0, position) + 1
    return text.encode("utf-8")[:position].count(b"\n") + 1

"""Parse an answers file's bytes as YAML that can do no harm: a clean InputError for anything odd.

An answers file is a flat mapping of plain values and lists. The loader is PyYAML's
SafeLoader, further refusing what such a file never needs and what could hurt: anchors
and aliases (an alias bomb builds gigabytes from a few lines), explicit tags other than
`!!str` (`!!python/object...`, unknown tags), nesting deeper than MAX_DEPTH (the composer
recurses), duplicate keys (YAML keeps the last silently), bytes that are not UTF-8 text.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError

from core.errors import InputError

MAX_DEPTH = 16
_ALLOWED_TAGS = {None, "!", "tag:yaml.org,2002:str"}
_STANDARD_PREFIX = "tag:yaml.org,2002:"


class _Refused(ComposerError):
    """Valid YAML that an answers file may not use."""

    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(None, None, problem, mark)


class _AnswersLoader(yaml.SafeLoader):
    """SafeLoader without anchors, aliases, tags (but !!str), deep nesting or duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused("anchors and aliases (&name, *name) are not allowed "
                                "in an answers file; write each value out", event.start_mark)
        tag = getattr(event, "tag", None)
        if tag not in _ALLOWED_TAGS:
            shown = "!!" + tag[len(_STANDARD_PREFIX):] if tag.startswith(_STANDARD_PREFIX) else tag
            raise _Refused(f"the tag {shown} is not allowed in an answers file; "
                                "write a plain value", event.start_mark)
        if self._depth >= MAX_DEPTH:
            raise _Refused(f"values are nested more than {MAX_DEPTH} levels deep; "
                                "an answers file holds plain values and lists", event.start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_mapping_node(self, anchor: Any) -> Any:
        node = super().compose_mapping_node(anchor)
        first_line: dict[str, int] = {}
        for key_node, _value in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Refused("a key must be plain text (key: value)",
                                    key_node.start_mark)
            line = key_node.start_mark.line + 1
            if key_node.value in first_line:
                raise _Refused(f"key {key_node.value!r} appears twice (first on "
                                    f"line {first_line[key_node.value]}); keep one",
                                    key_node.start_mark)
            first_line[key_node.value] = line
        return node


def compose_answers(data: bytes, name: str) -> yaml.Node | None:
    """The checked YAML node tree of an answers file (None when it is empty), or InputError."""
    if b"\x00" in data:
        raise InputError(f"answers file {name} is binary, not YAML text: pass the answers file "
                         "(key: value lines)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(f"answers file {name} is not UTF-8 text (byte 0x{data[error.start]:02x} at "
                         f"offset {error.start}): save it as UTF-8") from None
    loader = None
    try:
        loader = _AnswersLoader(text)  # the reader refuses control characters here already
        return loader.get_single_node()
    except _Refused as error:
        raise InputError(f"answers file {name}, {yaml_reason(error)}") from None
    except yaml.YAMLError as error:
        raise InputError(f"answers file {name} is not valid YAML: {yaml_reason(error)}") from None
    except RecursionError:  # not expected below MAX_DEPTH; never a traceback
        raise InputError(f"answers file {name} is nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()


def construct_value(node: yaml.Node, name: str) -> Any:
    """The Python value of a node composed by compose_answers (str, int, bool, list, dict...)."""
    loader = _AnswersLoader("")
    try:
        return loader.construct_document(node)
    except (yaml.YAMLError, ValueError, TypeError) as error:
        mark = getattr(error, "problem_mark", None) or node.start_mark
        raise InputError(f"{name}:{mark.line + 1}: the value cannot be read: "
                         f"{yaml_reason(error)}") from None
    finally:
        loader.dispose()


def yaml_reason(error: Exception) -> str:
    """A YAML error in one line: where, and what is wrong."""
    if isinstance(error, yaml.reader.ReaderError):
        return (f"control character U+{error.character:04X} at position {error.position} is not "
                "allowed (binary data?)")
    mark = getattr(error, "problem_mark", None)
    problem = " ".join((getattr(error, "problem", None) or str(error)).split())
    return f"line {mark.line + 1}: {problem}" if mark else problem

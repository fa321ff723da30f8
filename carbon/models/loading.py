"""Reading a YAML file into a pydantic model, refusing everything a hostile file could try.

- size: files over MAX_YAML_BYTES are refused before they are read;
- encoding: strict UTF-8, the byte offset of the first bad byte named;
- YAML: the safe loader (no Python tags), no aliases (a "billion laughs" file of nested
  aliases expands exponentially), no duplicate keys (the last one would silently win);
- shape: the model's validation errors become problem lines with the file, the key path,
  the value found and what was expected.
"""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import pydantic
import yaml

from carbon.errors import InputFileError, Problem
from carbon.suggest import did_you_mean

# Hand-written scenario, published-table and manifest files are a few hundred kB at most.
MAX_YAML_BYTES = 2_000_000

Model = TypeVar("Model", bound=pydantic.BaseModel)


class _StrictLoader(yaml.SafeLoader):
    """The safe loader without aliases and without duplicate keys."""

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(
                None,
                None,
                "aliases (*name) are not allowed in carbon-inventory files; write the value out",
                event.start_mark,
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (list, dict)):
                raise yaml.MarkedYAMLError(
                    None, None, "a mapping key must be a plain value", key_node.start_mark
                )
            if key in seen:
                raise yaml.MarkedYAMLError(
                    None,
                    None,
                    f"duplicate key {key!r} (the earlier value would be lost)",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_text(path: Path, what: str, limit: int = MAX_YAML_BYTES) -> str:
    """A small UTF-8 text file, or an InputFileError naming what is wrong with it."""
    path = Path(path)
    if not path.is_file():
        found = "a folder" if path.is_dir() else "nothing"
        raise InputFileError(
            [Problem(str(path), None, None, None, f"an existing {what} file (found {found})")]
        )
    size = path.stat().st_size
    if size > limit:
        raise InputFileError(
            [
                Problem(
                    str(path), None, None, None, f"a {what} file of at most {limit:,} bytes (it has {size:,})"
                )
            ]
        )
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputFileError(
            [
                Problem(
                    str(path),
                    None,
                    None,
                    repr(data[error.start : error.start + 4]),
                    f"UTF-8 text (a byte at offset {error.start} is not UTF-8: save the file as UTF-8)",
                )
            ]
        ) from None


def parse_yaml(text: str, file: str) -> object:
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - _StrictLoader is a SafeLoader
    except RecursionError:
        raise InputFileError(
            [Problem(file, None, None, None, "YAML nested a few levels deep, not thousands")]
        ) from None
    except ValueError as error:  # e.g. an integer of more than 4,300 digits
        raise InputFileError(
            [Problem(file, None, None, None, f"valid YAML values ({str(error)[:120]})")]
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise InputFileError([Problem(file, None, None, None, f"valid YAML ({where}{problem})")]) from None


def key_path(location: tuple) -> str:
    """('figures', 3, 'printed') -> 'figures[3].printed' (list positions counted from 1)."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part + 1}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def validation_problems(
    error: pydantic.ValidationError, file: str, model: type[pydantic.BaseModel]
) -> list[Problem]:
    problems = []
    for item in error.errors(include_url=False):
        location = tuple(p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        kind = item["type"]
        if kind == "missing":
            problems.append(Problem(file, None, None, None, "this key to be present", key=key_path(location)))
            continue
        if kind in ("union_tag_invalid", "union_tag_not_found"):  # the `kind:` of a tagged entry
            context = item.get("ctx", {})
            key = f"{key_path(location)}.{str(context.get('discriminator', 'kind')).strip(chr(39))}"
            tags = re.findall(r"'([^']+)'", str(context.get("expected_tags", "")))
            tag = context.get("tag")
            if tag is None:
                problems.append(Problem(file, None, None, None, "this key to be present", key=key))
            else:
                expected = f"one of: {', '.join(tags)}{did_you_mean(str(tag), tags)}"
                problems.append(Problem(file, None, None, str(tag), expected, key=key))
            continue
        if kind == "extra_forbidden":
            known = _field_names(model, location[:-1])
            hint = (
                f"one of: {', '.join(known)}{did_you_mean(str(location[-1]), known)}"
                if known
                else "no such key"
            )
            problems.append(Problem(file, None, None, None, hint, key=key_path(location)))
            continue
        value = item.get("input")
        shown = None if isinstance(value, (dict, list)) else str(value)
        message = item["msg"].removeprefix("Value error, ")
        problems.append(Problem(file, None, None, shown, _expected_from(message), key=key_path(location)))
    return _merged(problems)


def _merged(problems: list[Problem]) -> list[Problem]:
    """One line per key: a value that fits no branch of `number or text` gets one line saying both."""
    by_key: dict[tuple, Problem] = {}
    for problem in problems:
        index = (problem.key, problem.value)
        if index in by_key and problem.expected not in by_key[index].expected:
            earlier = by_key[index]
            by_key[index] = Problem(
                file=earlier.file,
                row=None,
                column=None,
                value=earlier.value,
                expected=f"{earlier.expected}, or {problem.expected}",
                key=earlier.key,
            )
        else:
            by_key.setdefault(index, problem)
    return list(by_key.values())


def _field_names(model: type[pydantic.BaseModel], location: tuple) -> list[str]:
    """The keys allowed at `location` inside `model` (for 'did you mean')."""
    annotation: object = model
    for part in location:
        annotation = _unwrap(annotation, part)
        if annotation is None:
            return []
    annotation = _unwrap(annotation, None)
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return list(annotation.model_fields)
    return []


def _unwrap(annotation: object, part: object) -> object:
    """Step from a type into the type at key or position `part` (None: just strip Optional)."""
    while typing.get_origin(annotation) in (typing.Union, types.UnionType):
        models = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = models[0] if models else None
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if part is None:
        return annotation
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        field = annotation.model_fields.get(str(part))
        return None if field is None else field.annotation
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is list and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    return None


def _expected_from(message: str) -> str:
    """pydantic says 'Input should be a valid integer'; problem lines say 'expected a valid integer'."""
    for prefix in ("Input should be ", "Input should have ", "Value should have "):
        if message.startswith(prefix):
            return message.removeprefix(prefix)
    return message


def load_model(path: Path, model: type[Model], what: str) -> Model:
    """Read, parse and validate one YAML file; every problem is raised together."""
    text = read_text(path, what)
    data = parse_yaml(text, str(path))
    if not isinstance(data, dict):
        kind = "nothing (an empty file)" if data is None else f"a {type(data).__name__}"
        raise InputFileError(
            [
                Problem(
                    str(path),
                    None,
                    None,
                    None,
                    f"a mapping of keys to values at the top level (found {kind})",
                )
            ]
        )
    problems = _control_characters(data, str(path), ())
    if problems:
        raise InputFileError(problems[:MAX_CONTROL_PROBLEMS])
    return validate(data, model, str(path))


MAX_CONTROL_PROBLEMS = 20
# Text that reaches a terminal or a report: no control characters but tab and line feed (a YAML
# escape such as "\e[31m" would colour, or rewrite, the reader's terminal; a lone "\r" would split
# a CSV row; a right-to-left override would reverse what a reader sees). Unlike a ledger cell
# (readers.CONTROL_CHARACTERS), YAML prose may run over several lines (YAML reads CRLF as LF).
YAML_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _control_characters(data: object, file: str, location: tuple) -> list[Problem]:
    """Every string value or key of parsed YAML that holds a control character, by key path."""
    if isinstance(data, str):
        if YAML_CONTROL.search(data):
            return [
                Problem(file, None, None, data, "text without control characters", key=key_path(location))
            ]
        return []
    if isinstance(data, dict):
        problems = []
        for key, value in data.items():
            problems += _control_characters(key, file, location) if isinstance(key, str) else []
            problems += _control_characters(value, file, (*location, str(key)))  # not a list position
        return problems
    if isinstance(data, list):
        return [p for i, item in enumerate(data) for p in _control_characters(item, file, (*location, i))]
    return []


def validate(data: object, model: type[Model], file: str) -> Model:
    try:
        return model.model_validate(data)
    except RecursionError:
        raise InputFileError(
            [Problem(file, None, None, None, "values nested a few levels deep, not thousands")]
        ) from None
    except pydantic.ValidationError as error:
        raise InputFileError(
            validation_problems(error, file, model), f"{file} does not follow its format"
        ) from None

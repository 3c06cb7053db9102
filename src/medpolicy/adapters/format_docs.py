"""``docs/request.md`` and ``docs/determination.md``, written from the code that reads and
writes those formats, so the documentation cannot drift from it.

The request's fields and limits come from the JSON Schema of the decoder's own structs
(``json_codec``), the facts from the policies' data dictionaries, the outcomes and next
steps from the domain's enums, and the example determinations from deciding the files in
``examples/``. ``python -m medpolicy.adapters.format_docs DIR`` writes both files; a test
fails when the committed ones differ from what this module writes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import msgspec

from medpolicy.adapters import json_codec
from medpolicy.adapters.json_request import parse_request
from medpolicy.domain.status import NEXT_STEP, Outcome
from medpolicy.engine import Engine
from medpolicy.policy.registry import Registry

__all__ = ["documents", "render_determination", "render_request"]

_HEADER = "<!-- Written by `python -m medpolicy.adapters.format_docs docs/`; do not edit. -->\n\n"


def render_request(registry: Registry, example: dict[str, Any]) -> str:
    """The request format: fields with their types and limits, facts, an example."""
    schema = msgspec.json.schema(json_codec._RequestIn)
    definitions = schema["$defs"]
    lines = [
        _HEADER + "# The request",
        "",
        "One JSON object per request: a file holding one, or JSON Lines (one object per line)",
        "for `medpolicy evaluate`; the `request` of `POST /v1/cases`; the argument of",
        "`medpolicy.evaluate()`. Unknown fields are refused, naming the field.",
        "",
        "| field | type | required | limits |",
        "| --- | --- | --- | --- |",
    ]
    lines += _field_rows(definitions, "_RequestIn", "", definitions)
    lines += [
        "",
        "Diagnoses are ICD-10-CM codes of the April 2026 release, with or without the dot",
        '("C92.02" or "C9202"); a category code is accepted with a warning. The service code',
        "is a CPT or HCPCS code; one no policy decides is answered `not_addressed`.",
        "",
        "## Facts",
        "",
        "What the request reports about the member, by fact id. A fact not given is unknown:",
        "it is never guessed, and it is asked for when it could change the outcome.",
    ]
    for policy in registry.policies:
        lines += ["", f"### {policy.id}: {policy.title}", "", "| fact | type | values | question |"]
        lines.append("| --- | --- | --- | --- |")
        for fact in policy.facts.values():
            lines.append(
                f"| `{fact.id}` | {fact.type} | {_values(fact)} | {_cell(fact.question)} |"
            )
    lines += [
        "",
        "## Example",
        "",
        "`examples/dli-relapsed-aml.json`:",
        "",
        "```json",
        json.dumps(example, indent=2, ensure_ascii=False),
        "```",
        "",
        "## JSON Schema",
        "",
        "Generated from the decoder's structs (`medpolicy.adapters.json_codec`):",
        "",
        "```json",
        json.dumps(schema, indent=2, sort_keys=True),
        "```",
        "",
    ]
    return "\n".join(lines)


def render_determination(examples: list[dict[str, Any]]) -> str:
    """The determination format: members in order, outcomes and next steps, examples."""
    fields = json_codec.MEMBERS
    lines = [
        _HEADER + "# The determination",
        "",
        "What `medpolicy evaluate` writes for each request (one JSON object per line), what",
        "`POST /v1/cases` returns as `determination`, and `Determination.to_dict()`. Members,",
        "always present and in this order: " + ", ".join(f"`{f}`" for f in fields) + ".",
        "",
        "`facts` holds every known fact with its source: first those the diagnosis codes",
        "establish (in the policy's derivation order), then the other stated facts in the",
        "data dictionary's order, whatever order the request listed them in.",
        "",
        "## Outcomes",
        "",
        "The engine never denies: adverse outcomes go to a physician.",
        "",
        "| outcome | next step |",
        "| --- | --- |",
    ]
    lines += [f"| `{outcome.value}` | `{NEXT_STEP[outcome].value}` |" for outcome in Outcome]
    lines += [
        "",
        "A request that is not valid is answered, in its place in the output, with",
        '`{"request_id": ..., "error": {"code", "field", "message", "accepted"}}`.',
    ]
    for title, determination in zip(("criteria met", "information missing"), examples, strict=True):
        lines += [
            "",
            f"## Example: {title}",
            "",
            "```json",
            json.dumps(determination, indent=2, ensure_ascii=False),
            "```",
        ]
    lines.append("")
    return "\n".join(lines)


def documents(folder: Path, examples_dir: Path, registry: Registry) -> dict[Path, str]:
    """Both documents, by the path each belongs at in ``folder``."""
    example = json.loads((examples_dir / "dli-relapsed-aml.json").read_text("utf-8"))
    batch = (examples_dir / "requests.jsonl").read_text("utf-8").splitlines()
    engine = Engine(registry)
    shown = [
        engine.determine(parse_request(request, registry)).to_dict()
        for request in (example, json.loads(batch[1]))
    ]
    return {
        folder / "request.md": render_request(registry, example),
        folder / "determination.md": render_determination(shown),
    }


def _field_rows(
    definitions: dict[str, Any], name: str, prefix: str, all_definitions: dict[str, Any]
) -> list[str]:
    definition = definitions[name]
    required = set(definition.get("required", ()))
    rows = []
    for field, spec in definition["properties"].items():
        options = [o for o in spec.get("anyOf", [spec]) if o.get("type") != "null"]
        (shape,) = options
        path = f"{prefix}{field}"
        reference = shape.get("$ref", "").rsplit("/", 1)[-1]
        target = all_definitions.get(reference, {})
        if "properties" in target:
            rows.append(f"| `{path}` | object | {'yes' if field in required else 'no'} | |")
            rows += _field_rows(all_definitions, reference, path + ".", all_definitions)
            continue
        kind = shape.get("type") or ("one of" if "enum" in target else "value")
        limits = [
            f"{key} {shape[key]}"
            for key in ("minLength", "maxLength", "maxItems", "format")
            if key in shape
        ]
        if "enum" in target:
            limits.append(", ".join(f"`{value}`" for value in target["enum"]))
        rows.append(
            f"| `{path}` | {kind} | {'yes' if field in required else 'no'} | {'; '.join(limits)} |"
        )
    return rows


def _values(fact: Any) -> str:
    if fact.values:
        return ", ".join(f"`{value}`" for value in fact.values)
    if fact.minimum is not None or fact.maximum is not None:
        unit = f" {fact.unit}" if fact.unit else ""
        return f"{fact.minimum} to {fact.maximum}{unit}"
    return "true, false" if fact.type == "boolean" else ""


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def main(argv: list[str]) -> int:
    from medpolicy.policy.registry import default_registry

    folder = Path(argv[0]) if argv else Path("docs")
    root = Path(__file__).resolve().parents[3]
    for path, text in documents(folder, root / "examples", default_registry()).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

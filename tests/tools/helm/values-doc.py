#!/usr/bin/env python3
"""The values table of helm/secprov/README.md, generated from values.yaml.

    values-doc.py          rewrite the table between the README's values markers
    values-doc.py --check  exit 1, naming the keys, when the table is not current

Every leaf key path of values.yaml (a scalar, a list, or an empty map) is one row: its type
from values.schema.json, its default as written in values.yaml, and its description from the
`# -- ` comment right above it (continued by `# ` lines). The check also fails when a leaf
has no description, or when values.yaml and the schema disagree on the keys.

Standard library only (no PyYAML): values.yaml is kept in a simple block style this parser
reads (two-space indentation, one key per line, lists either in flow style or as `- ` items
under their key).
"""
import json
import re
import sys
from pathlib import Path

CHART = Path(__file__).resolve().parents[3] / "helm" / "secprov"
BEGIN = "<!-- values:begin (tests/tools/helm/values-doc.py) -->"
END = "<!-- values:end -->"
KEY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_.\-/]+):(?: (?P<value>.*))?$")


def parse_values(text):
    """[(path, default text, description)] in file order, leaves only."""
    leaves = []
    stack = []  # (indent, key) of the enclosing maps
    comment = None
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        i += 1
        if not stripped:
            comment = None
            continue
        if stripped.startswith("# -- "):
            comment = [stripped[len("# -- "):]]
            continue
        if stripped.startswith("#"):
            if comment is not None:
                comment.append(stripped.lstrip("#").strip())
            continue
        match = KEY.match(line)
        if not match:
            continue  # a `- ` item of a block list, read with its key below
        indent = len(match["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = ".".join([k for _, k in stack] + [match["key"]])
        value = (match["value"] or "").split(" #")[0].strip()
        description = " ".join(comment) if comment else ""
        comment = None
        if value:
            leaves.append((path, value, description))
            continue
        # No value on the line: a map (more keys, deeper) or a block list (`- ` items).
        block = []
        while i < len(lines) and (not lines[i].strip() or
                                  len(lines[i]) - len(lines[i].lstrip()) > indent):
            block.append(lines[i])
            i += 1
        body = [b for b in block if b.strip() and not b.strip().startswith("#")]
        if body and body[0].strip().startswith("- "):
            leaves.append((path, "see values.yaml", description))
            continue
        if not body:
            leaves.append((path, "null", description))
            continue
        # A documented map is one row (its content is an example, e.g. resources); an
        # undocumented one is a section whose keys are the rows.
        if description:
            leaves.append((path, "see values.yaml", description))
            continue
        i -= len(block)
        stack.append((indent, match["key"]))
    return leaves


def schema_type(schema, path):
    node = schema
    for key in path.split("."):
        node = node.get("properties", {}).get(key)
        if node is None:
            return None
        if "$ref" in node:
            node = schema["definitions"][node["$ref"].split("/")[-1]]
    if "type" in node:
        return node["type"] if isinstance(node["type"], str) else " or ".join(node["type"])
    kinds = []
    for alt in node.get("anyOf", []):
        if "$ref" in alt:
            alt = schema["definitions"][alt["$ref"].split("/")[-1]]
        kind = alt.get("type", "string" if "const" in alt else "any")
        if kind not in kinds:
            kinds.append(kind)
    return " or ".join(kinds) or "any"


def schema_leaves(schema, node=None, prefix=""):
    node = schema if node is None else node
    out = []
    for key, child in node.get("properties", {}).items():
        if key == "global":
            continue  # Helm's own
        path = prefix + key
        if "properties" in child and child.get("type") == "object" and \
                child.get("additionalProperties") is False and \
                not child.get("x-leaf", False):
            out += schema_leaves(schema, child, path + ".")
        out.append(path)
    return out


def table(leaves, schema):
    rows = ["| Key | Type | Default | Description |", "| --- | --- | --- | --- |"]
    for path, default, description in leaves:
        kind = schema_type(schema, path) or "?"
        text = description.replace("|", "\\|").replace("<", "&lt;")
        rows.append(f"| `{path}` | {kind} | `{default}` | {text} |")
    return "\n".join(rows)


def main():
    check = "--check" in sys.argv[1:]
    leaves = parse_values((CHART / "values.yaml").read_text())
    schema = json.loads((CHART / "values.schema.json").read_text())
    problems = []
    paths = [p for p, _, _ in leaves]
    for path, _, description in leaves:
        if not description:
            problems.append(f"values.yaml: {path} has no '# -- ' description above it")
        if schema_type(schema, path) is None:
            problems.append(f"values.schema.json: {path} is not in the schema")
    # Every schema key is in values.yaml (as a leaf or under a documented map).
    for path in schema_leaves(schema):
        if not any(p == path or p.startswith(path + ".") or path.startswith(p + ".")
                   for p in paths):
            problems.append(f"values.schema.json: {path} has no default in values.yaml")

    readme_path = CHART / "README.md"
    readme = readme_path.read_text()
    if BEGIN not in readme or END not in readme:
        problems.append(f"README.md: markers {BEGIN} ... {END} missing")
    else:
        head, rest = readme.split(BEGIN, 1)
        current, tail = rest.split(END, 1)
        wanted = "\n" + table(leaves, schema) + "\n"
        if current != wanted:
            if check:
                documented = set(re.findall(r"^\| `([^`]+)` \|", current, re.M))
                for path in paths:
                    if path not in documented:
                        problems.append(f"README.md: value {path} is not documented")
                for path in sorted(documented - set(paths)):
                    problems.append(f"README.md: value {path} is documented but not in values.yaml")
                if documented == set(paths):
                    problems.append("README.md: the values table is stale (types, defaults or "
                                    "descriptions)")
            else:
                readme_path.write_text(head + BEGIN + wanted + END + tail)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        if check:
            print("run tests/tools/helm/values-doc.py to regenerate the table", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""helm-template CHART_DIR [-f VALUES]... [--name RELEASE] [--namespace NS]

Renders a chart directory offline, as `helm template` does, with the Helm
engine that the PyPI package helm-python-sdk carries (Helm v4, compiled into a
shared library; there is no `helm` binary in the registries the project
reaches). Values files are merged in order, each over the ones before, map by
map, as Helm merges its `-f` files; the chart's own values.yaml is under them.
Prints every rendered manifest as one YAML stream, in template order, each
after a `# Source:` line; empty templates and NOTES.txt are left out. Exits 1
with Helm's message when the chart does not render.
"""

import argparse
import sys

from helm_python.chart import Chart, values_from_yaml


def merge(base, over):
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


def main():
    p = argparse.ArgumentParser(prog="helm-template")
    p.add_argument("chart")
    p.add_argument("-f", "--values", action="append", default=[])
    p.add_argument("--name", default="release-name")
    p.add_argument("--namespace", default="default")
    a = p.parse_args()
    values = {}
    for f in a.values:
        with open(f, encoding="utf-8") as fh:
            values = merge(values, values_from_yaml(fh.read()) or {})
    try:
        chart = Chart.load(a.chart)
        rendered = chart.render(values, name=a.name, namespace=a.namespace, is_install=True)
    except Exception as e:  # Helm's own error types, all with its message
        print(f"helm-template: {e}", file=sys.stderr)
        return 1
    for path in sorted(rendered):
        body = rendered[path]
        if path.endswith("NOTES.txt") or not body.strip():
            continue
        sys.stdout.write(f"---\n# Source: {path}\n{body.rstrip()}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env node
// crd-validate: check the custom resources pipec writes for progressive
// delivery and monitoring against the schemas the @kubernetes-models packages
// generate from the projects' own CRDs: Argo Rollouts (Rollout,
// AnalysisTemplate; @kubernetes-models/argo-rollouts) and the Prometheus
// operator (PrometheusRule, ServiceMonitor; @kubernetes-models/prometheus-operator).
//
// Installed by scripts/install-tools.sh as $PIPEC_TOOLS/bin/crd-validate, which
// runs this file with the pinned Node 22 from $PIPEC_TOOLS/npm/lib/ (so that
// bare imports resolve to $PIPEC_TOOLS/npm/node_modules).
//
// Usage: crd-validate [--allow-unknown-fields] [--yaml-1.2] FILE...   ("-" = stdin)
//
// Output contract, checks and unknown-field detection: as argocd-validate.mjs
// (one line per problem on stdout, FILE: docN KIND/NAME: JSONPOINTER: MESSAGE;
// a summary on stderr; exit 0, 1 or 2), with each kind's apiVersion required
// to be its group's. Documents of other kinds are skipped.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { Rollout } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout";
import { AnalysisTemplate } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";

const ROLLOUTS = "argoproj.io/v1alpha1";
const MONITORING = "monitoring.coreos.com/v1";
// kind -> [apiVersion, model]
const MODELS = {
  Rollout: [ROLLOUTS, Rollout],
  AnalysisTemplate: [ROLLOUTS, AnalysisTemplate],
  PrometheusRule: [MONITORING, PrometheusRule],
  ServiceMonitor: [MONITORING, ServiceMonitor],
};

function usage(msg) {
  if (msg) process.stderr.write(`crd-validate: ${msg}\n`);
  process.stderr.write("usage: crd-validate [--allow-unknown-fields] [--yaml-1.2] FILE... ('-' reads stdin)\n");
  process.exit(2);
}

const files = [];
let strict = true;
let yamlVersion = "1.1";
for (const arg of process.argv.slice(2)) {
  if (arg === "--allow-unknown-fields") strict = false;
  else if (arg === "--yaml-1.2") yamlVersion = "1.2";
  else if (arg === "-h" || arg === "--help") usage();
  else if (arg.startsWith("--")) usage(`unknown option ${arg}`);
  else files.push(arg);
}
if (files.length === 0) usage("no input files");

// Property names that the generated types declare but the compiled validators
// never look at (names that clash with JSON Schema keywords). Computed from the
// installed packages so that a version bump keeps it right; accepted anywhere.
function uncheckedDeclaredNames() {
  const pkgDir = (spec) => {
    let dir = dirname(fileURLToPath(import.meta.resolve(spec)));
    while (!readdirSync(dir).includes("package.json")) dir = dirname(dir);
    return dir;
  };
  const walk = (dir, ext, acc = []) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name), ext, acc);
      else if (e.name.endsWith(ext)) acc.push(join(dir, e.name));
    }
    return acc;
  };
  const declared = new Set();
  const read = new Set();
  for (const dir of [
    pkgDir("@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout"),
    pkgDir("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule"),
    pkgDir("@kubernetes-models/apimachinery"),
  ]) {
    for (const f of walk(dir, ".d.ts")) {
      for (const m of readFileSync(f, "utf8").matchAll(/^\s+"([^"]+)"\??:/gm)) declared.add(m[1]);
    }
    for (const f of walk(join(dir, "_schemas"), ".js")) {
      const src = readFileSync(f, "utf8");
      for (const m of src.matchAll(/data\.([A-Za-z_$][\w$]*)/g)) read.add(m[1]);
      for (const m of src.matchAll(/data\["([^"]+)"\]/g)) read.add(m[1]);
      for (const m of src.matchAll(/missingProperty:"([^"]+)"/g)) read.add(m[1]);
    }
  }
  return new Set([...declared].filter((n) => !read.has(n)));
}

const isPlainObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const escapePointer = (k) => String(k).replace(/~/g, "~0").replace(/\//g, "~1");

// Wrap `root` in proxies that record, per object, which keys the validator
// reads and whether it enumerates the object's keys.
function instrument(root) {
  const seen = new Map(); // target object -> { read: Set, enumerated: bool }
  const proxies = new WeakMap();
  const wrap = (value) => {
    if (value === null || typeof value !== "object") return value;
    if (proxies.has(value)) return proxies.get(value);
    const info = { read: new Set(), enumerated: false };
    seen.set(value, info);
    const proxy = new Proxy(value, {
      get(target, key, receiver) {
        if (typeof key === "string") info.read.add(key);
        return wrap(Reflect.get(target, key, receiver));
      },
      has(target, key) {
        if (typeof key === "string") info.read.add(key);
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        info.enumerated = true;
        return Reflect.ownKeys(target);
      },
      getOwnPropertyDescriptor(target, key) {
        if (typeof key === "string") info.read.add(key);
        return Reflect.getOwnPropertyDescriptor(target, key);
      },
    });
    proxies.set(value, proxy);
    return proxy;
  };
  return { proxy: wrap(root), seen };
}

function unknownFields(root, seen) {
  const found = [];
  const walk = (value, path) => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, `${path}/${i}`));
      return;
    }
    if (!isPlainObject(value)) return;
    const info = seen.get(value);
    // Never reached, enumerated as a map (labels, ...), or never looked into
    // (a free-form object such as helm.valuesObject): not checked. An object
    // whose schema names properties always has them read (present or not).
    if (!info || info.enumerated || info.read.size === 0) return;
    for (const k of Object.keys(value)) {
      if (info.read.has(k)) walk(value[k], `${path}/${escapePointer(k)}`);
      else if (!UNCHECKED.has(k)) found.push(`${path}/${escapePointer(k)}`);
    }
  };
  walk(root, "");
  return found;
}

function validateDoc(doc) {
  const problems = [];
  const [API_VERSION, Model] = MODELS[doc.kind];
  if (doc.apiVersion !== API_VERSION) {
    problems.push(["/apiVersion", `must be ${API_VERSION} for kind ${doc.kind} (found ${JSON.stringify(doc.apiVersion)})`]);
  }
  const data = { ...doc, apiVersion: API_VERSION };
  const { proxy, seen } = instrument(data);
  try {
    Model.prototype.validate.call(proxy);
  } catch (err) {
    if (Array.isArray(err.errors)) {
      for (const e of err.errors) {
        let msg = e.message || e.keyword;
        if (e.keyword === "enum" && e.params && e.params.allowedValues) {
          msg += `: ${e.params.allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
        }
        problems.push([e.instancePath || "/", msg]);
      }
    } else {
      problems.push(["/", String(err && err.message ? err.message : err)]);
    }
  }
  if (strict) {
    for (const p of unknownFields(data, seen)) problems.push([p, "unknown field"]);
  }
  return problems;
}

const UNCHECKED = strict ? uncheckedDeclaredNames() : new Set();

let checked = 0;
let errors = 0;
const counts = Object.fromEntries(Object.keys(MODELS).map((k) => [k, 0]));
const out = [];

for (const file of files) {
  let text;
  try {
    text = readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (err) {
    process.stderr.write(`crd-validate: cannot read ${file}: ${err.message}\n`);
    process.exit(2);
  }
  const docs = parseAllDocuments(text, { version: yamlVersion, prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((d, i) => {
    const n = i + 1;
    if (d.errors && d.errors.length) {
      for (const e of d.errors) {
        out.push(`${file}: doc${n} -/-: /: YAML error: ${e.message.split("\n")[0]}`);
        errors++;
      }
      return;
    }
    let obj;
    try {
      obj = d.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      out.push(`${file}: doc${n} -/-: /: YAML error: ${e.message.split("\n")[0]}`);
      errors++;
      return;
    }
    if (!isPlainObject(obj) || !Object.prototype.hasOwnProperty.call(MODELS, obj.kind)) return;
    const group = MODELS[obj.kind][0].split("/")[0];
    const inGroup = typeof obj.apiVersion === "string" && obj.apiVersion.startsWith(`${group}/`);
    if (!inGroup && obj.apiVersion !== undefined) return; // another group's kind of that name
    checked++;
    counts[obj.kind]++;
    const name = isPlainObject(obj.metadata) && obj.metadata.name ? obj.metadata.name : "<unnamed>";
    for (const [path, msg] of validateDoc(obj)) {
      out.push(`${file}: doc${n} ${obj.kind}/${name}: ${path}: ${msg}`);
      errors++;
    }
  });
}

if (out.length) process.stdout.write(out.join("\n") + "\n");
process.stderr.write(
  `crd-validate: checked ${checked} document(s) (` +
    Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(", ") +
    `) in ${files.length} file(s), ${errors} error(s)\n`,
);
process.exit(errors ? 1 : 0);

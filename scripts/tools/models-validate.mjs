// The validator behind argocd-validate.mjs and crd-validate.mjs: checks the
// documents of the given kinds against the schemas the @kubernetes-models
// packages generate from each project's Go API types or CRDs.
//
// Output contract:
//   stdout: one line per problem,
//             FILE: docN KIND/NAME: JSONPOINTER: MESSAGE
//           N is the 1-based index of the YAML document in FILE; JSONPOINTER is
//           "/" for the document root. YAML syntax errors use KIND/NAME "-/-".
//   stderr: one summary line ("TOOL: checked ... documents, E errors").
//   exit:   0 no problems, 1 at least one problem, 2 usage error / unreadable file.
//
// Checks:
//   * the schema: required fields, types, enums, formats (ajv, all errors);
//   * unknown fields (default on; --allow-unknown-fields turns it off). The
//     generated schemas themselves allow unknown fields, but a real API server
//     with kubectl's default strict field validation rejects them, so a
//     misspelled optional field (selfHeel, setWeigth) is an error here too. It
//     works by recording which keys the schema validator looks at: a key of an
//     object whose other keys the schema names, that the schema never looks
//     at, is unknown. Free-form objects (labels, annotations, helm
//     valuesObject, ...) are enumerated or never looked into by the
//     validator, so they are skipped.
//   * apiVersion must be the kind's (its group's version).
// Documents of other kinds are skipped, and so are kinds of the same name in
// another API group. YAML is read as YAML 1.1 (as Kubernetes' sigs.k8s.io/yaml
// does: `yes`/`on` are booleans); --yaml-1.2 switches that.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

// tool: the command's name, for messages. models: kind -> [apiVersion, model
// class]. packages: a module of each models package (to find the property
// names its validators never read).
export function main(tool, MODELS, packages) {
  function usage(msg) {
    if (msg) process.stderr.write(`${tool}: ${msg}\n`);
    process.stderr.write(`usage: ${tool} [--allow-unknown-fields] [--yaml-1.2] FILE... ('-' reads stdin)\n`);
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
      ...packages.map(pkgDir),
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
      process.stderr.write(`${tool}: cannot read ${file}: ${err.message}\n`);
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
    `${tool}: checked ${checked} document(s) (` +
      Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(", ") +
      `) in ${files.length} file(s), ${errors} error(s)\n`,
  );
  process.exit(errors ? 1 : 0);
}

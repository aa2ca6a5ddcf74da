//! `{{ … }}` placeholders in strings, rendered by minijinja.
//!
//! Parameters known at compile time are substituted. Values known only when the
//! pipeline runs (matrix axes, dispatch inputs, `ci.*`) are rendered as private
//! markers and split back out into [`Part`]s, so each target decides how the
//! value reaches the generated file. Every variable a string uses is checked
//! against the template's parameters before rendering.

mod safety;

use std::collections::{BTreeMap, HashMap};

use minijinja::{Environment, UndefinedBehavior, Value as J};
use pipec_diagnostics::{Diagnostic, Span, code, did_you_mean};
use pipec_graph::{CiVar, Part, Text};

use crate::Checker;
use crate::eval::Scope;
use crate::value::Value;

const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// Work allowed for rendering one string, so that a loop in a template cannot
/// hang the compiler.
const FUEL: u64 = 50_000;

/// The minijinja environment and a cache of compiled strings.
pub struct Renderer {
    env: Environment<'static>,
    /// Strings compiled so far, by their text.
    compiled: HashMap<String, Compiled>,
    /// The `ci` object: the same markers in every string.
    ci: J,
}

/// A string compiled as a template: its name in the environment and the
/// variables it reads, sorted.
struct Compiled {
    name: String,
    variables: Vec<String>,
}

impl Default for Renderer {
    fn default() -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(FUEL));
        env.set_recursion_limit(32);
        let ci = J::from(
            CiVar::ALL
                .iter()
                .map(|(n, _)| (n.to_string(), J::from(marker('c', n))))
                .collect::<BTreeMap<_, _>>(),
        );
        Renderer {
            env,
            compiled: HashMap::new(),
            ci,
        }
    }
}

fn marker(kind: char, name: &str) -> String {
    format!("{OPEN}{kind}:{name}{CLOSE}")
}

impl Checker<'_> {
    /// Renders a string literal, checking its placeholders.
    pub(crate) fn render(&mut self, s: &str, span: Span, scope: &Scope) -> Option<Text> {
        self.check_plaintext_secret(s, span);
        if !s.contains("{{") && !s.contains("{%") {
            return Some(Text::lit(s));
        }
        if !self.renderer.compiled.contains_key(s) {
            if let Some(why) = safety::refused(s) {
                self.template_error(span, why);
                return None;
            }
            let name = format!("s{}", self.renderer.compiled.len());
            if let Err(e) = self
                .renderer
                .env
                .add_template_owned(name.clone(), s.to_string())
            {
                self.template_error(span, &e.to_string());
                return None;
            }
            let tmpl = self.renderer.env.get_template(&name).ok()?;
            let mut variables: Vec<String> = tmpl.undeclared_variables(true).into_iter().collect();
            variables.sort();
            self.renderer
                .compiled
                .insert(s.to_string(), Compiled { name, variables });
        }
        let compiled = self.renderer.compiled.get(s)?;
        let (name, variables) = (compiled.name.clone(), compiled.variables.clone());
        let mut ok = true;
        for var in &variables {
            ok &= self.check_variable(var, span, scope);
        }
        if !ok {
            return None;
        }
        let ctx = self.context(scope, span, &variables)?;
        let tmpl = self.renderer.env.get_template(&name).ok()?;
        let rendered = match tmpl.render(ctx) {
            Ok(r) => r,
            Err(e) => {
                self.template_error(span, &e.to_string());
                return None;
            }
        };
        match split_markers(&rendered) {
            Some(t) => Some(t),
            None => {
                self.diags.push(
                    Diagnostic::new(code::TEMPLATE_STRING, span, "a run-time value was changed by a filter")
                        .label("a filter applied to a run-time value")
                        .help("values known only at run time (matrix, inputs, ci) can be placed in text but not transformed"),
                );
                None
            }
        }
    }

    fn template_error(&mut self, span: Span, msg: &str) {
        let first = msg.lines().next().unwrap_or(msg);
        self.diags.push(
            Diagnostic::new(code::TEMPLATE_STRING, span, format!("string template: {first}"))
                .label("in this string")
                .help("placeholders are written {{ name }}; see the minijinja syntax for filters and {% if %} blocks"),
        );
    }

    /// The `{{ … }}` (or `{% … %}`) of the string at `span` that uses `name`,
    /// or the whole string when it cannot be found in the source as written.
    fn placeholder_span(&self, span: Span, name: &str) -> Span {
        let raw = self.sources.slice(span);
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        let mut from = 0;
        while let Some(open) = raw[from..].find(['{']).map(|i| from + i) {
            let closer = match raw[open..].get(..2) {
                Some("{{") => "}}",
                Some("{%") => "%}",
                _ => {
                    from = open + 1;
                    continue;
                }
            };
            let Some(close) = raw[open + 2..].find(closer).map(|i| open + 2 + i) else {
                break;
            };
            let inner = &raw[open + 2..close];
            let uses = inner.match_indices(name).any(|(i, _)| {
                !inner[..i].ends_with(is_word) && !inner[i + name.len()..].starts_with(is_word)
            });
            if uses {
                let start = span.start as usize + open;
                return Span::new(span.source, start, start + close + 2 - open);
            }
            from = close + 2;
        }
        span
    }

    fn check_variable(&mut self, var: &str, span: Span, scope: &Scope) -> bool {
        let root_name = var.split('.').next().unwrap_or(var);
        let span = match self.placeholder_span(span, var) {
            s if s == span => self.placeholder_span(span, root_name),
            s => s,
        };
        let (root, rest) = var.split_once('.').unwrap_or((var, ""));
        let field = rest.split('.').next().unwrap_or("");
        let params: Vec<&str> = scope.params.iter().map(|(n, _, _)| n.as_str()).collect();
        if root == "ci" && !scope.run_time && !params.contains(&root) {
            self.diags.push(
                Diagnostic::new(
                    code::RUN_TIME_VALUE,
                    span,
                    format!("`{var}` has no value here"),
                )
                .label("a value of a pipeline run")
                .help("values of a run exist only in a pipeline's jobs; triggers, environments, services and the GitOps settings are written before any run: use a literal"),
            );
            return false;
        }
        let (known, kind): (Vec<&str>, &str) = match root {
            "ci" => (CiVar::ALL.iter().map(|(n, _)| *n).collect(), "`ci` value"),
            "matrix" => (
                scope.axes.iter().map(String::as_str).collect(),
                "matrix axis",
            ),
            "inputs" => (
                scope.inputs.iter().map(String::as_str).collect(),
                "dispatch input",
            ),
            _ if params.contains(&root) => {
                return true;
            }
            _ => {
                let mut all = params.clone();
                all.extend(["ci", "matrix", "inputs"]);
                let mut d = Diagnostic::new(
                    code::TEMPLATE_STRING,
                    span,
                    format!("`{{{{ {root} }}}}` is not a parameter"),
                )
                .label("unknown placeholder");
                d = match did_you_mean(root, all.iter().copied()) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None if params.is_empty() => d.help(
                        "outside templates, strings may use {{ ci.sha }}, {{ matrix.AXIS }} and {{ inputs.NAME }}",
                    ),
                    None => d.help(format!("parameters: {}", params.join(", "))),
                };
                self.diags.push(d);
                return false;
            }
        };
        if field.is_empty() {
            self.diags.push(
                Diagnostic::new(
                    code::TEMPLATE_STRING,
                    span,
                    format!("`{root}` needs a field"),
                )
                .label(format!("`{root}` alone is not a value"))
                .help(format!(
                    "for example {{{{ {root}.{} }}}}",
                    known.first().unwrap_or(&"NAME")
                )),
            );
            return false;
        }
        if known.contains(&field) {
            return true;
        }
        if self.named_in_unparsed(field) {
            // Declared, perhaps, in a statement that did not parse.
            return false;
        }
        let mut d = Diagnostic::new(
            code::TEMPLATE_STRING,
            span,
            format!("`{root}.{field}` is not a known {kind}"),
        )
        .label("unknown placeholder");
        d = match did_you_mean(field, known.iter().copied()) {
            Some(s) => d.help(format!("did you mean `{root}.{s}`?")),
            None if known.is_empty() => d.help(format!("there is no {kind} here")),
            None => d.help(format!("known: {}", known.join(", "))),
        };
        self.diags.push(d);
        false
    }

    /// The values a string reads (`variables`, as `name` or `name.field`):
    /// parameters it does not mention stay out, so that a parameter that has
    /// no text form (a secret, a range) is an error only where it is used.
    fn context(&mut self, scope: &Scope, span: Span, variables: &[String]) -> Option<J> {
        let mut ctx: BTreeMap<String, J> = BTreeMap::new();
        for (name, value, _) in scope.params {
            let used = variables
                .iter()
                .any(|v| v.split('.').next() == Some(name.as_str()));
            if used {
                ctx.insert(name.clone(), self.jinja_value(value, span)?);
            }
        }
        ctx.insert("ci".into(), self.renderer.ci.clone());
        ctx.insert(
            "matrix".into(),
            J::from(
                scope
                    .axes
                    .iter()
                    .map(|a| (a.clone(), J::from(marker('m', a))))
                    .collect::<BTreeMap<_, _>>(),
            ),
        );
        ctx.insert(
            "inputs".into(),
            J::from(
                scope
                    .inputs
                    .iter()
                    .map(|a| (a.clone(), J::from(marker('i', a))))
                    .collect::<BTreeMap<_, _>>(),
            ),
        );
        Some(J::from(ctx))
    }

    fn jinja_value(&mut self, v: &Value, span: Span) -> Option<J> {
        Some(match v {
            Value::Text(t) => J::from(encode(t)),
            Value::Int(n) => J::from(*n),
            Value::Bool(b) => J::from(*b),
            Value::List(items) | Value::Matrix(items) => {
                let mut out = Vec::new();
                for i in items {
                    out.push(self.jinja_value(i, span)?);
                }
                J::from(out)
            }
            Value::Map(fields) => {
                let mut out = BTreeMap::new();
                for (k, v, _) in fields {
                    out.insert(k.clone(), self.jinja_value(v, span)?);
                }
                J::from(out)
            }
            Value::Axis(a) => J::from(marker('m', a)),
            Value::Ref(name, _) => {
                // An image exposes its archive and in-pipeline reference.
                let mut m = BTreeMap::new();
                m.insert("name".to_string(), J::from(name.clone()));
                m.insert("archive".to_string(), J::from(format!("{name}.tar")));
                // Where later jobs reach the image depends on the target.
                m.insert("ref".to_string(), J::from(marker('g', name)));
                m.insert("source".to_string(), J::from(marker('s', name)));
                J::from_object(ImageObject(name.clone(), m))
            }
            Value::Secret(_) | Value::Cond(_) | Value::Range(..) => {
                self.diags.push(
                    Diagnostic::new(code::TEMPLATE_STRING, span, "this value cannot be placed in text")
                        .label("used in a string template")
                        .help("secrets reach scripts as environment variables: env { NAME: secret(\"NAME\") }"),
                );
                return None;
            }
            other => J::from(other.as_literal().unwrap_or_default()),
        })
    }
}

/// A reference rendered as its name, with `archive`, `ref` and `name` fields.
#[derive(Debug)]
struct ImageObject(String, BTreeMap<String, J>);

impl minijinja::value::Object for ImageObject {
    fn get_value(self: &std::sync::Arc<Self>, key: &J) -> Option<J> {
        self.1.get(key.as_str()?).cloned()
    }

    fn render(self: &std::sync::Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result
    where
        Self: Sized + 'static,
    {
        f.write_str(&self.0)
    }
}

fn encode(t: &Text) -> String {
    t.render(|p| match p {
        Part::Lit(s) => s.clone(),
        Part::Matrix(a) => marker('m', a),
        Part::Input(i) => marker('i', i),
        Part::Ci(v) => marker('c', v.name()),
        Part::Image(i) => marker('g', i),
        Part::ImageSource(i) => marker('s', i),
    })
}

/// Splits rendered text back into parts; `None` if a marker was damaged.
fn split_markers(s: &str) -> Option<Text> {
    let mut parts = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find(OPEN) {
        if i > 0 {
            parts.push(Part::Lit(rest[..i].to_string()));
        }
        let after = &rest[i + OPEN.len_utf8()..];
        let end = after.find(CLOSE)?;
        let (kind, name) = after[..end].split_once(':')?;
        parts.push(match kind {
            "m" => Part::Matrix(name.to_string()),
            "i" => Part::Input(name.to_string()),
            "c" => Part::Ci(CiVar::ALL.iter().find(|(n, _)| *n == name)?.1),
            "g" => Part::Image(name.to_string()),
            "s" => Part::ImageSource(name.to_string()),
            _ => return None,
        });
        rest = &after[end + CLOSE.len_utf8()..];
    }
    if rest.contains(CLOSE) {
        return None;
    }
    if !rest.is_empty() {
        parts.push(Part::Lit(rest.to_string()));
    }
    // Merge adjacent literals.
    let mut merged: Vec<Part> = Vec::new();
    for p in parts {
        match (merged.last_mut(), p) {
            (Some(Part::Lit(a)), Part::Lit(b)) => a.push_str(&b),
            (_, p) => merged.push(p),
        }
    }
    Some(Text { parts: merged })
}

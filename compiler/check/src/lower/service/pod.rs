//! What a service's pods and its Kubernetes Service are made of, beyond the
//! container: registry credentials (`pull_secrets`), volumes, how the Service
//! exposes the pods (`expose`), and the labels the Deployment selects its
//! pods by (`selector`).

use pipec_diagnostics::{Diagnostic, Span, code};
use pipec_graph::{Expose, SecretRef, ServiceType, Volume, VolumeKind};
use pipec_syntax::ast::{Expr, ExprKind, Stmt};

use crate::Checker;
use crate::eval::Scope;
use crate::stmt::{Args, Vocabulary, block_stmts};
use crate::types::Ty;
use crate::value::Value;

/// The writable `/tmp` every pod gets; a volume of the program mounted there
/// replaces it.
pub const TMP: &str = "tmp";

/// Kubernetes caps client-IP affinity at one day.
const MAX_AFFINITY: u64 = 86_400;

impl Checker<'_> {
    /// `pull_secrets secret("registry-credentials")` or a list of them: the
    /// names of `kubernetes.io/dockerconfigjson` Secrets in each namespace.
    pub(super) fn pull_secrets(&mut self, e: &Expr, scope: &Scope) -> Vec<String> {
        let Some(v) = self.eval(e, &Ty::List(Box::new(Ty::Secret)), scope) else {
            return Vec::new();
        };
        let mut out: Vec<String> = Vec::new();
        for item in v.into_list() {
            let Value::Secret(SecretRef { name, span }) = item else {
                continue;
            };
            if !is_dns_subdomain(&name) {
                self.diags.push(
                    Diagnostic::new(
                        code::INVALID_NAME,
                        span,
                        format!("`{name}` is not a Kubernetes Secret name"),
                    )
                    .label("invalid Secret name")
                    .help("name the Secret that holds the registry credentials: lowercase letters, digits, `-` and `.`, e.g. secret(\"registry-credentials\")"),
                );
            } else if out.contains(&name) {
                self.diags.push(
                    Diagnostic::new(
                        code::DUPLICATE_DEFINITION,
                        span,
                        format!("`{name}` is listed twice"),
                    )
                    .label("again")
                    .help("list each Secret once"),
                );
            } else {
                out.push(name);
            }
        }
        out
    }

    /// `volume NAME "/PATH" [{ size 1Gi }]` — an empty writable directory —
    /// or `volume NAME "/PATH" { files { "NAME": "CONTENT" } }` — read-only
    /// files.
    pub(super) fn volume(&mut self, st: &Stmt, scope: &Scope) -> Option<Volume> {
        const VV: Vocabulary = Vocabulary {
            context: "a volume",
            heads: &["size", "files"],
        };
        let shape = "volume NAME \"/PATH\" [{ size SIZE | files { \"FILE\": \"CONTENT\" } }]";
        let g = st.generic()?;
        let mut args = Args::new(st, g, shape);
        let (Some(name_expr), Some(path_expr)) = (args.next(), args.next()) else {
            self.shape(&args);
            return None;
        };
        self.finish(&args);
        let Some(name) = name_expr.as_ident() else {
            self.diags.push(
                Diagnostic::new(
                    code::TYPE_MISMATCH,
                    name_expr.span,
                    "a volume is named by a word",
                )
                .label("expected a name")
                .help("volume logs \"/app/logs\""),
            );
            return None;
        };
        let k8s = name.replace('_', "-");
        if !super::super::is_dns_label(&k8s) {
            self.diags.push(
                Diagnostic::new(
                    code::INVALID_NAME,
                    name_expr.span,
                    format!("`{name}` cannot name a Kubernetes volume"),
                )
                .label("not a DNS label")
                .help("use lowercase letters, digits and `_`: volume app_logs \"/app/logs\""),
            );
            return None;
        }
        let mount = self.eval(path_expr, &Ty::Path, scope)?.as_literal()?;
        if !is_mount_path(&mount) {
            self.diags.push(
                Diagnostic::new(
                    code::TYPE_MISMATCH,
                    path_expr.span,
                    format!("`{mount}` is not a directory the volume can be mounted at"),
                )
                .label("expected an absolute path")
                .help("an absolute path other than `/`, without `..` or `:`: \"/app/logs\""),
            );
            return None;
        }
        let mut size = None;
        let mut files: Option<(Vec<(String, String)>, Span)> = None;
        let mut seen = Vec::new();
        for s in block_stmts(&g.block) {
            let Some(sg) = s.generic() else {
                self.unknown_statement(s, &VV);
                continue;
            };
            let head = sg.head.name.as_str();
            if !VV.heads.contains(&head) {
                self.unknown_statement(s, &VV);
                continue;
            }
            if !self.once(&mut seen, head, sg.head.span) {
                continue;
            }
            if head == "size" {
                let Some(e) = self.single(s, "size SIZE") else {
                    continue;
                };
                if let Some(Value::Memory(m)) = self.eval(e, &Ty::Memory, scope) {
                    if m.bytes == 0 {
                        self.out_of_range(e.span, "a size above 0");
                    } else {
                        size = Some((m, s.span));
                    }
                }
            } else if let Some(e) = self.single(s, "files { \"FILE\": \"CONTENT\" }") {
                let content = self.string_map(e, scope);
                if matches!(&e.kind, ExprKind::Record(f) if f.is_empty()) {
                    self.diags.push(
                        Diagnostic::new(code::MISSING_STATEMENT, e.span, "no files")
                            .label("an empty directory")
                            .help("list the files: files { \"config.yaml\": \"…\" }, or drop `files` for a writable directory"),
                    );
                }
                files = Some((content, s.span));
            }
        }
        let kind = match (size, files) {
            (Some((_, size_span)), Some((_, files_span))) => {
                self.diags.push(
                    Diagnostic::new(
                        code::CONFLICTING_STATEMENTS,
                        size_span,
                        "a volume with files has no size",
                    )
                    .label("size of a writable directory")
                    .secondary(files_span, "read-only files")
                    .help("keep `files` for read-only files, or `size` for a writable directory"),
                );
                return None;
            }
            // Empty, or every file was wrong (and reported).
            (_, Some((content, _))) if content.is_empty() => return None,
            (_, Some((content, _))) => VolumeKind::Files(content),
            (size, None) => VolumeKind::Scratch {
                size: size.map(|(m, _)| m),
            },
        };
        Some(Volume {
            name: name.to_string(),
            mount,
            kind,
            span: st.span,
        })
    }

    /// Two volumes may not share a name or a mount path.
    pub(super) fn distinct_volumes(&mut self, volumes: &mut Vec<Volume>) {
        let mut kept: Vec<Volume> = Vec::new();
        for v in volumes.drain(..) {
            let k8s = v.name.replace('_', "-");
            let clash = kept
                .iter()
                .find(|k| k.name.replace('_', "-") == k8s || k.mount == v.mount);
            let reserved = k8s == TMP && v.mount != "/tmp";
            if let Some(first) = clash {
                let what = if first.mount == v.mount {
                    format!("`{}` is mounted twice", v.mount)
                } else {
                    format!("two volumes are named `{k8s}`")
                };
                self.diags.push(
                    Diagnostic::new(code::DUPLICATE_DEFINITION, v.span, what)
                        .label("second volume")
                        .secondary(first.span, "first volume")
                        .help("give each volume its own name and path"),
                );
            } else if reserved {
                self.diags.push(
                    Diagnostic::new(
                        code::DUPLICATE_DEFINITION,
                        v.span,
                        "`tmp` is the writable `/tmp` every pod has",
                    )
                    .label("reserved volume name")
                    .help("name the volume after what it holds: volume logs \"/app/logs\""),
                );
            } else {
                kept.push(v);
            }
        }
        *volumes = kept;
    }

    /// `expose cluster_ip|node_port|load_balancer [port N] [affinity DURATION]`
    pub(super) fn expose(&mut self, st: &Stmt, scope: &Scope) -> Option<Expose> {
        let shape = "expose cluster_ip|node_port|load_balancer [port N] [affinity DURATION]";
        let g = st.generic()?;
        let mut args = Args::new(st, g, shape);
        let Some(kind_expr) = args.next() else {
            self.shape(&args);
            return None;
        };
        let names: Vec<String> = ServiceType::ALL
            .iter()
            .map(|(n, _)| n.to_string())
            .collect();
        let kind = match self.eval(kind_expr, &Ty::Enum(names), scope)? {
            Value::Enum(n) => ServiceType::ALL.iter().find(|(s, _)| *s == n)?.1,
            _ => return None,
        };
        let mut expose = Expose {
            kind,
            ..Expose::default()
        };
        while args.remaining() > 0 {
            if args.word("port") {
                let e = args.next()?;
                let Value::Int(n) = self.eval(e, &Ty::Int, scope)? else {
                    return None;
                };
                expose.port = self.count(n, 1, 65535, e.span)? as u16;
            } else if args.word("affinity") {
                let e = args.next()?;
                let Value::Duration(d) = self.eval(e, &Ty::Duration, scope)? else {
                    return None;
                };
                if d.seconds == 0 || d.seconds > MAX_AFFINITY {
                    self.out_of_range(e.span, "an affinity from 1s to 1d");
                    return None;
                }
                expose.affinity = Some(d);
            } else {
                break;
            }
        }
        self.finish(&args);
        self.no_block(g, shape);
        Some(expose)
    }

    /// `selector { app: "name" }`: Kubernetes labels, keys with an optional
    /// `prefix/`.
    pub(super) fn selector(&mut self, e: &Expr, scope: &Scope) -> Option<Vec<(String, String)>> {
        let ExprKind::Record(fields) = &e.kind else {
            self.mismatch(e, &Ty::Map(Box::new(Ty::String)));
            return None;
        };
        let mut out: Vec<(String, String)> = Vec::new();
        let mut ok = true;
        for f in fields {
            let key = &f.key.name;
            let Some(value) = self
                .eval(&f.value, &Ty::String, scope)
                .and_then(|v| v.as_literal())
            else {
                ok = false;
                continue;
            };
            let (span, what) = if !is_label_key(key) {
                (
                    f.key.span,
                    format!("`{key}` is not a Kubernetes label name"),
                )
            } else if !is_label_value(&value) {
                (
                    f.value.span,
                    format!("`{value}` is not a Kubernetes label value"),
                )
            } else if out.iter().any(|(k, _)| k == key) {
                self.diags.push(
                    Diagnostic::new(
                        code::DUPLICATE_DEFINITION,
                        f.key.span,
                        format!("`{key}` is given twice"),
                    )
                    .label("second time")
                    .help("keep one of them"),
                );
                ok = false;
                continue;
            } else {
                out.push((key.clone(), value));
                continue;
            };
            ok = false;
            self.diags.push(
                Diagnostic::new(code::INVALID_NAME, span, what)
                    .label("invalid label")
                    .help("labels are `name: \"value\"` or `\"prefix/name\": \"value\"`; names and values have at most 63 letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit"),
            );
        }
        if fields.is_empty() {
            self.diags.push(
                Diagnostic::new(code::MISSING_STATEMENT, e.span, "an empty selector")
                    .label("would select every pod of the namespace")
                    .help("write the labels of the existing Deployment's selector: selector { app: \"api\" }"),
            );
        }
        (ok && !out.is_empty()).then_some(out)
    }
}

/// `a.b-c` style names: a DNS-1123 subdomain (Secret and ConfigMap names).
pub fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && l.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && l.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

/// A label value: at most 63 characters, alphanumerics at both ends and
/// `-`, `_`, `.` between.
fn is_label_value(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A label key: a name as a value is written, with an optional DNS subdomain
/// prefix and `/`.
fn is_label_key(s: &str) -> bool {
    match s.rsplit_once('/') {
        Some((prefix, name)) => is_dns_subdomain(prefix) && is_label_value(name),
        None => is_label_value(s),
    }
}

/// An absolute path to mount a volume at: not `/`, no `..`, no `:`.
fn is_mount_path(s: &str) -> bool {
    s.starts_with('/')
        && s.len() > 1
        && !s.contains(':')
        && !s.chars().any(char::is_whitespace)
        && s.split('/').all(|seg| seg != ".." && seg != ".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert!(is_label_key("app"));
        assert!(is_label_key("app.kubernetes.io/name"));
        assert!(!is_label_key("/name"));
        assert!(!is_label_key("Example.com/name"));
        assert!(!is_label_key("-app"));
        assert!(is_label_value("mts-deploy-ai"));
        assert!(is_label_value("v1.0.0"));
        assert!(!is_label_value(&"a".repeat(64)));
        assert!(!is_label_value("a b"));
    }

    #[test]
    fn mount_paths() {
        assert!(is_mount_path("/app/logs"));
        assert!(!is_mount_path("/"));
        assert!(!is_mount_path("app/logs"));
        assert!(!is_mount_path("/app/../etc"));
        assert!(!is_mount_path("/a:b"));
    }

    #[test]
    fn secret_names() {
        assert!(is_dns_subdomain("mts-registry-secret"));
        assert!(is_dns_subdomain("registry.example.com"));
        assert!(!is_dns_subdomain("Registry"));
        assert!(!is_dns_subdomain("a..b"));
        assert!(!is_dns_subdomain("a/b"));
    }
}

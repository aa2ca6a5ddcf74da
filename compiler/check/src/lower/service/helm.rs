//! `helm { repo, chart, version, release, values }` of a service: the chart it
//! is deployed from in place of the generated Kustomize base. Read once the
//! service's other statements are, since what the chart decides for itself
//! (probes, volumes, hooks, rollouts, …) may not be said beside it, and only
//! Argo CD renders a chart.

use pipec_diagnostics::{Diagnostic, Span, code};
use pipec_graph::{ChartRepo, DeployMethod, Helm, Service, ValuesPart};
use pipec_syntax::ast::Stmt;

use crate::Checker;
use crate::eval::Scope;
use crate::stmt::Vocabulary;
use crate::types::Ty;
use crate::value::Value;

const HV: Vocabulary = Vocabulary {
    context: "a helm chart",
    heads: &["repo", "chart", "version", "release", "values"],
};

/// Statements of a service whose object the chart writes as it likes: the
/// program could not say where in the chart's values they go.
const DECIDED_BY_THE_CHART: &[&str] = &[
    "metrics",
    "probes",
    "min_available",
    "secrets",
    "user",
    "migrate",
    "smoke_test",
    "volume",
    "expose",
    "selector",
    "rollout",
    "alerts",
];

/// Helm's limit on release names (its objects' names and labels append to them).
const MAX_RELEASE: usize = 53;

impl Checker<'_> {
    /// The `helm` statement of a service, with the service's other
    /// statements (`body`) read into `s`.
    pub(super) fn helm(
        &mut self,
        st: &Stmt,
        s: &Service,
        body: &[Stmt],
        scope: &Scope,
    ) -> Option<Helm> {
        let g = st.generic()?;
        if !g.args.is_empty() {
            self.diags.push(crate::stmt::malformed(
                st.signature_span(),
                "helm { repo \"https://…\", chart \"NAME\", version \"1.2.3\" }",
            ));
        }
        let mut repo = None;
        let mut chart = None;
        let mut version = None;
        let mut release = None;
        let mut keys: Vec<(ValuesPart, Vec<String>, Option<Span>)> = ValuesPart::ALL
            .iter()
            .map(|(_, p)| (*p, split_key(p.default_key()), None))
            .collect();
        let mut seen = Vec::new();
        let mut ok = true;
        for (b, bg) in self.known_statements(&g.block, &HV) {
            let head = bg.head.name.as_str();
            if !self.once(&mut seen, head, bg.head.span) {
                continue;
            }
            let shape = match head {
                "repo" => "repo \"https://…\" | \"oci://…\"",
                "chart" => "chart \"NAME\"",
                "version" => "version \"1.2.3\"",
                "release" => "release \"NAME\"",
                _ => "values { PART: \"KEY.PATH\" }",
            };
            let Some(e) = self.single(b, shape) else {
                ok = false;
                continue;
            };
            if head == "values" {
                ok &= self.values_keys(e, scope, &mut keys);
                continue;
            }
            let Some(v) = self.literal_text(e, &Ty::String, scope, &format!("a chart's {head}"))
            else {
                ok = false;
                continue;
            };
            match head {
                "repo" => repo = self.chart_repo(&v, e.span),
                "chart" | "release" => {
                    if head == "release" && v.len() > MAX_RELEASE {
                        self.diags.push(
                            Diagnostic::new(
                                code::INVALID_NAME,
                                e.span,
                                format!("the release name `{v}` is longer than Helm allows"),
                            )
                            .label(format!("{} characters", v.len()))
                            .help(format!(
                                "Helm release names have at most {MAX_RELEASE} characters"
                            )),
                        );
                    } else if crate::lower::is_dns_label(&v) {
                        if head == "chart" {
                            chart = Some(v);
                        } else {
                            release = Some(v);
                        }
                    } else {
                        self.diags.push(
                            Diagnostic::new(
                                code::INVALID_NAME,
                                e.span,
                                format!("`{v}` is not a valid {head} name"),
                            )
                            .label("not a DNS label")
                            .help("lowercase letters, digits and `-`, at most 63 characters"),
                        );
                    }
                }
                _ => version = self.chart_version(&v, e.span),
            }
            ok &= match head {
                "repo" => repo.is_some(),
                "chart" => chart.is_some(),
                "release" => release.is_some(),
                _ => version.is_some(),
            };
        }
        let written = |h: &str| seen.iter().any(|(x, _)| x == h);
        for (head, hint) in [
            (
                "repo",
                "where the chart is published: repo \"https://charts.example.com\" or repo \"oci://ghcr.io/acme/charts\"",
            ),
            (
                "chart",
                "the chart's name in that repository: chart \"api\"",
            ),
        ] {
            if !written(head) {
                ok = false;
                self.diags.push(
                    Diagnostic::new(
                        code::MISSING_STATEMENT,
                        g.head.span,
                        format!("the chart of `{}` has no {head}", s.name),
                    )
                    .label(format!("needs `{head}`"))
                    .help(hint),
                );
            }
        }
        if !written("version") {
            ok = false;
            self.diags.push(
                Diagnostic::new(
                    code::CHART_WITHOUT_VERSION,
                    g.head.span,
                    format!("the chart of `{}` has no version", s.name),
                )
                .label("whichever version the repository has last")
                .help("pin the version the chart was tested at: version \"1.2.3\""),
            );
        }
        self.values_collisions(&keys);
        self.decided_by_the_chart(s, body);
        if let DeployMethod::Kubectl { .. } = s.method {
            ok = false;
            self.diags.push(
                Diagnostic::new(
                    code::HELM_WITHOUT_ARGOCD,
                    g.head.span,
                    format!(
                        "`{}` is deployed from a Helm chart, but `via kubectl`",
                        s.name
                    ),
                )
                .label("a chart Argo CD renders")
                .secondary(
                    s.deploy_span,
                    "the deploy jobs apply Kustomize overlays with `kubectl apply -k`",
                )
                .help("deploy it `via argocd`, with a `gitops` block"),
            );
        }
        if !ok {
            return None;
        }
        Some(Helm {
            repo: repo?,
            chart: chart?,
            version: version?,
            release: release.unwrap_or_else(|| s.name.replace('_', "-")),
            keys: keys.into_iter().map(|(p, k, _)| (p, k)).collect(),
            span: g.head.span,
        })
    }

    fn chart_repo(&mut self, v: &str, span: Span) -> Option<ChartRepo> {
        if crate::secrets::url_password_host(v).is_some() {
            self.diags.push(
                Diagnostic::new(code::PLAINTEXT_SECRET, span, "URL contains credentials")
                    .label("user:password@ in a URL")
                    .help("remove them; Argo CD reads the repository's credentials from its own repository Secret"),
            );
            return None;
        }
        let valid = |rest: &str| {
            !rest.is_empty()
                && !rest.starts_with('/')
                && !rest.contains(|c: char| c.is_whitespace() || c.is_control() || c == '@')
        };
        if let Some(rest) = v.strip_prefix("https://").filter(|r| valid(r)) {
            return Some(ChartRepo::Https(format!(
                "https://{}",
                rest.trim_end_matches('/')
            )));
        }
        if let Some(rest) = v.strip_prefix("oci://").filter(|r| valid(r)) {
            return Some(ChartRepo::Oci(rest.trim_end_matches('/').to_string()));
        }
        let (label, help) = if let Some(rest) = v.strip_prefix("http://") {
            (
                "plain http",
                format!(
                    "a chart read over plain HTTP can be swapped on the way: \"https://{rest}\""
                ),
            )
        } else {
            (
                "neither https:// nor oci://",
                "a chart repository (\"https://charts.example.com\") or an OCI registry (\"oci://ghcr.io/acme/charts\")".to_string(),
            )
        };
        self.diags.push(
            Diagnostic::new(
                code::CHART_REPOSITORY_URL,
                span,
                format!("`{v}` is not a chart repository pipec deploys from"),
            )
            .label(label)
            .help(help),
        );
        None
    }

    fn chart_version(&mut self, v: &str, span: Span) -> Option<String> {
        if is_exact_semver(v) {
            return Some(v.to_string());
        }
        let (label, help) = if let Some(exact) = v.strip_prefix('v').filter(|x| is_exact_semver(x))
        {
            ("a `v` before the version", format!("write \"{exact}\""))
        } else if v.eq_ignore_ascii_case("latest") || v == "*" || v.is_empty() {
            (
                "whichever version the repository has last",
                "pin the version the chart was tested at: version \"1.2.3\"".to_string(),
            )
        } else {
            (
                "a range of versions",
                "pin one version, the one the chart was tested at: version \"1.2.3\"".to_string(),
            )
        };
        self.diags.push(
            Diagnostic::new(
                code::CHART_VERSION_NOT_EXACT,
                span,
                format!("chart version `{v}` is not one exact version"),
            )
            .label(label)
            .help(help),
        );
        None
    }

    /// `values { PART: "KEY.PATH", … }`: where each part goes instead of
    /// the default layout.
    fn values_keys(
        &mut self,
        e: &pipec_syntax::ast::Expr,
        scope: &Scope,
        keys: &mut [(ValuesPart, Vec<String>, Option<Span>)],
    ) -> bool {
        let Some(Value::Map(fields)) = self.eval(e, &Ty::Map(Box::new(Ty::String)), scope) else {
            return false;
        };
        let mut ok = true;
        for (k, v, span) in fields {
            let Some(part) = ValuesPart::ALL
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, p)| *p)
            else {
                ok = false;
                let names: Vec<String> =
                    ValuesPart::ALL.iter().map(|(n, _)| n.to_string()).collect();
                self.unknown_variant(span, &k, &names);
                continue;
            };
            let Some(path) = v.as_literal() else {
                ok = false;
                continue;
            };
            let segments = split_key(&path);
            if segments.iter().any(|s| !is_key_segment(s)) {
                ok = false;
                self.diags.push(
                    Diagnostic::new(
                        code::INVALID_NAME,
                        span,
                        format!("`{path}` is not a values key"),
                    )
                    .label("not a key path")
                    .help("keys of letters, digits, `_` and `-`, joined by `.`: \"app.image\""),
                );
                continue;
            }
            if let Some(slot) = keys.iter_mut().find(|(p, _, _)| *p == part) {
                slot.1 = segments;
                slot.2 = Some(span);
            }
        }
        ok
    }

    /// Two parts whose keys are one and the same, or one inside the other,
    /// would overwrite each other.
    fn values_collisions(&mut self, keys: &[(ValuesPart, Vec<String>, Option<Span>)]) {
        let written = |(p, k, _): &(ValuesPart, Vec<String>, Option<Span>)| -> Vec<Vec<String>> {
            if p.leaves().is_empty() {
                vec![k.clone()]
            } else {
                p.leaves()
                    .iter()
                    .map(|l| {
                        let mut k = k.clone();
                        k.push(l.to_string());
                        k
                    })
                    .collect()
            }
        };
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                // Only what the program moved can collide: the default
                // layout is one where nothing does.
                let Some(at) = b.2.or(a.2) else { continue };
                let clash = written(a).iter().find_map(|x| {
                    written(b)
                        .into_iter()
                        .find(|y| x.starts_with(y) || y.starts_with(x))
                        .map(|y| (x.join("."), y.join(".")))
                });
                let Some((x, y)) = clash else { continue };
                // The part the program moved carries the diagnostic.
                let ((moved, mk), (other, ok)) = if b.2.is_some() {
                    ((b, y), (a, x))
                } else {
                    ((a, x), (b, y))
                };
                let mut d = Diagnostic::new(
                    code::VALUES_KEY_COLLISION,
                    at,
                    format!(
                        "`{}` and `{}` would overwrite each other in the values",
                        moved.0.name(),
                        other.0.name()
                    ),
                )
                .label(format!("`{}` at `{mk}`", moved.0.name()));
                d = match other.2 {
                    Some(span) => d
                        .secondary(span, format!("`{}` at `{ok}`", other.0.name()))
                        .help("give each part a key of its own in `values { … }`"),
                    None => d.help(format!(
                        "`{}` is written at `{ok}` (its default key): give `{}` a key outside it",
                        other.0.name(),
                        moved.0.name()
                    )),
                };
                self.diags.push(d);
            }
        }
    }

    fn decided_by_the_chart(&mut self, s: &Service, body: &[Stmt]) {
        for st in body {
            let Some(g) = st.generic() else {
                continue;
            };
            let head = g.head.name.as_str();
            if !DECIDED_BY_THE_CHART.contains(&head) {
                continue;
            }
            let help = if head == "rollout" {
                "roll out with the chart's own objects, or deploy the service from the generated manifests (without `helm`)".to_string()
            } else {
                format!(
                    "set it in the chart's values or templates, or deploy `{}` from the generated manifests (without `helm`)",
                    s.name
                )
            };
            self.diags.push(
                Diagnostic::new(
                    code::HELM_STATEMENT,
                    st.signature_span(),
                    format!(
                        "`{head}` of `{}`: its chart decides this for itself",
                        s.name
                    ),
                )
                .label("pipec writes no objects for a Helm service, only values")
                .help(help),
            );
        }
    }
}

fn split_key(path: &str) -> Vec<String> {
    path.split('.').map(str::to_string).collect()
}

fn is_key_segment(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `MAJOR.MINOR.PATCH`, with an optional `-PRERELEASE` and `+BUILD`, as
/// Semantic Versioning 2.0.0 writes one version: no range, no wildcard, no
/// leading zeros.
pub(crate) fn is_exact_semver(v: &str) -> bool {
    let (rest, build) = match v.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (v, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    let numeric = |n: &str| {
        !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) && (n == "0" || !n.starts_with('0'))
    };
    let ident = |n: &str| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| numeric(p))
        && pre.is_none_or(|p| {
            p.split('.')
                .all(|i| ident(i) && (!i.chars().all(|c| c.is_ascii_digit()) || numeric(i)))
        })
        && build.is_none_or(|b| b.split('.').all(ident))
}

#[cfg(test)]
mod tests {
    use super::is_exact_semver;

    #[test]
    fn exact_versions_only() {
        for v in [
            "1.2.3",
            "0.0.0",
            "10.20.30",
            "1.0.0-rc.1",
            "1.0.0-alpha-1+build.5",
        ] {
            assert!(is_exact_semver(v), "{v}");
        }
        for v in [
            "",
            "1",
            "1.2",
            "1.2.x",
            "^1.2.3",
            "~1.2.3",
            ">=1.2.3",
            "1.2.3 - 1.4.0",
            "*",
            "latest",
            "v1.2.3",
            "01.2.3",
            "1.2.3-01",
            "1.2.3-",
            "1.2.3+",
            "1.2.3 || 1.2.4",
        ] {
            assert!(!is_exact_semver(v), "{v}");
        }
    }
}

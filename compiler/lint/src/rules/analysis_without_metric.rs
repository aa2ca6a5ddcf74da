//! ## What it does
//! Reports a Rollout (canary or blue-green) whose analysis cannot fail: an
//! analysis template it names has no metric, or a metric of one has no
//! provider, a query provider (`prometheus`, `datadog`, `web`, …) without its
//! query, or a query without `successCondition` or `failureCondition`.
//! Templates no Rollout names are left alone; templates that do not exist
//! are PIPE506's.
//!
//! ## Why is this bad
//! The Rollout looks watched, in review and in the Argo Rollouts dashboard,
//! but nothing is judged: a template without metrics succeeds at once, and
//! Argo Rollouts counts a measurement without a condition as successful
//! whatever the query returns. A version that fails every request goes on
//! through every step. pipec refuses the same analysis in a program (E0504).
//!
//! ## Example
//! ```yaml
//! kind: Rollout
//! metadata: { name: api }
//! spec:
//!   strategy:
//!     canary:
//!       analysis: { templates: [{ templateName: api-errors }] }
//! ---
//! kind: AnalysisTemplate
//! metadata: { name: api-errors }
//! spec:
//!   metrics:
//!     - name: error-rate
//!       provider:
//!         prometheus:
//!           address: http://prometheus.monitoring.svc:9090
//!           query: sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))
//! ```
//!
//! ## Use instead
//! ```yaml
//! kind: AnalysisTemplate
//! metadata: { name: api-errors }
//! spec:
//!   metrics:
//!     - name: error-rate
//!       successCondition: result[0] <= 0.01
//!       provider:
//!         prometheus:
//!           address: http://prometheus.monitoring.svc:9090
//!           query: sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))
//! ```

use pipec_diagnostics::Severity;

use crate::facts::MetricGap;
use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE520",
    name: "analysis-without-metric",
    summary: "a Rollout's analysis measures the new version and judges it",
    severity: Severity::Error,
    group: Group::Policy,
    inputs: &[Input::Kubernetes],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    // A template several Rollouts name is reported once, for the first.
    let mut reported: Vec<&str> = Vec::new();
    for r in cx.rollouts() {
        for (name, loc) in &r.analyses {
            let templates: Vec<_> = cx
                .facts
                .template_metrics
                .iter()
                .filter(|t| t.template == *name)
                .collect();
            // Unknown templates are PIPE506's.
            if templates.is_empty() || reported.contains(&name.as_str()) {
                continue;
            }
            reported.push(name);
            if templates.iter().all(|t| t.metrics.is_empty()) {
                out.report(
                    loc.clone(),
                    format!(
                        "Rollout `{}` is analysed by `{name}`, which has no metric",
                        r.name
                    ),
                )
                .label("an analysis that measures nothing succeeds at once")
                .help("give the template a metric with a query and a successCondition");
                continue;
            }
            for m in templates.iter().flat_map(|t| &t.metrics) {
                let Some(gap) = &m.lacks else { continue };
                let metric = if m.name.is_empty() {
                    format!("a metric of `{name}`")
                } else {
                    format!("metric `{}` of `{name}`", m.name)
                };
                let (message, label, help) = match gap {
                    MetricGap::Provider => (
                        format!("{metric} has no provider"),
                        "nothing is measured".to_string(),
                        "provider: { prometheus: { address: …, query: … } }".to_string(),
                    ),
                    MetricGap::Query { provider, key } => (
                        format!("{metric} has no {provider} `{key}`"),
                        "nothing is measured".to_string(),
                        format!("give the {provider} provider its `{key}`"),
                    ),
                    MetricGap::Condition => (
                        format!("{metric} has no successCondition or failureCondition"),
                        "every measurement counts as successful".to_string(),
                        "successCondition: result[0] <= 0.01 (the highest value the new version may show)"
                            .to_string(),
                    ),
                };
                out.report(
                    m.loc.clone(),
                    format!("{message} (analysis of Rollout `{}`)", r.name),
                )
                .label(label)
                .help(help);
            }
        }
    }
}

//! Facts of Argo Rollouts manifests: each `Rollout` with its strategy, the
//! environment tier it runs in, and the analysis templates it names; and the
//! `AnalysisTemplate`s and `ClusterAnalysisTemplate`s the files define, with
//! their metrics.

use pipec_diagnostics::SourceId;
use pipec_graph::Tier;

use super::{Facts, MetricFact, MetricGap, RolloutFact, TemplateMetrics};
use crate::config::Config;
use crate::loc::Loc;
use crate::yaml::{Document, Node, YamlPath};

/// The kinds read here (group `argoproj.io`).
pub const KINDS: &[&str] = &["Rollout", "AnalysisTemplate", "ClusterAnalysisTemplate"];

/// Adds the facts of one Argo Rollouts document.
pub fn extract(file: SourceId, doc: &Document, config: &Config, facts: &mut Facts) {
    let root = &doc.root;
    let kind = root.get("kind").and_then(Node::text).unwrap_or("");
    let Some(name) = root.at(&["metadata", "name"]).and_then(Node::text) else {
        return;
    };
    let at = |p: YamlPath| Loc::yaml(file, doc, p);
    if kind != "Rollout" {
        facts.analysis_templates.push(name.to_string());
        let path = YamlPath::root().key("spec").key("metrics");
        let metrics = root
            .at(&["spec", "metrics"])
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let name = m.get("name").and_then(Node::text);
                let loc = match name {
                    Some(_) => at(path.index(i).key("name")),
                    None => at(path.index(i)),
                };
                MetricFact {
                    name: name.unwrap_or("").to_string(),
                    loc,
                    lacks: gap(m),
                }
            })
            .collect();
        facts.template_metrics.push(TemplateMetrics {
            template: name.to_string(),
            metrics,
        });
        return;
    }
    let top = YamlPath::root();
    let strategy = top.key("spec").key("strategy");
    let canary = root.at(&["spec", "strategy", "canary"]);
    // The most specific name first: the namespace, then the Rollout's name.
    let ns = root
        .at(&["metadata", "namespace"])
        .and_then(Node::text)
        .unwrap_or("");
    let tier = [ns, name]
        .iter()
        .map(|n| config.tier(n))
        .find(|t| *t != Tier::Other)
        .unwrap_or(Tier::Other);
    let mut analyses = Vec::new();
    let mut templates = |node: Option<&Node>, path: YamlPath| {
        for (i, t) in node
            .and_then(|a| a.get("templates"))
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let Some(n) = t.get("templateName").and_then(Node::text) else {
                continue;
            };
            analyses.push((
                n.to_string(),
                at(path.key("templates").index(i).key("templateName")),
            ));
        }
    };
    let canary_path = strategy.key("canary");
    templates(
        canary.and_then(|c| c.get("analysis")),
        canary_path.key("analysis"),
    );
    for (i, step) in canary
        .and_then(|c| c.get("steps"))
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        templates(
            step.get("analysis"),
            canary_path.key("steps").index(i).key("analysis"),
        );
    }
    let blue_green = root.at(&["spec", "strategy", "blueGreen"]);
    for key in ["prePromotionAnalysis", "postPromotionAnalysis"] {
        templates(
            blue_green.and_then(|b| b.get(key)),
            strategy.key("blueGreen").key(key),
        );
    }
    facts.rollouts.push(RolloutFact {
        name: name.to_string(),
        tier,
        canary: canary.map(|_| at(canary_path.clone()).key()),
        analyses,
    });
}

/// Providers that measure by a query, and the key holding it. The others
/// (`job`, `kayenta`, `plugin`, and any this list does not know) judge the
/// measurement themselves or are not read here.
const QUERIES: &[(&str, &[&str])] = &[
    ("prometheus", &["query"]),
    ("datadog", &["query", "queries"]),
    ("newRelic", &["query"]),
    ("wavefront", &["query"]),
    ("graphite", &["query"]),
    ("influxdb", &["query"]),
    ("skywalking", &["query"]),
    ("cloudWatch", &["metricDataQueries"]),
    ("web", &["url"]),
];

/// What keeps a metric from judging the version under analysis.
fn gap(metric: &Node) -> Option<MetricGap> {
    let provider = metric.get("provider").filter(|p| !p.entries().is_empty());
    let Some(provider) = provider else {
        return Some(MetricGap::Provider);
    };
    let present = |n: Option<&Node>| {
        n.is_some_and(|n| {
            n.text().is_some_and(|t| !t.trim().is_empty())
                || !n.entries().is_empty()
                || !n.items().is_empty()
        })
    };
    for e in provider.entries() {
        let Some(kind) = e.key.as_str() else { continue };
        let Some((_, keys)) = QUERIES.iter().find(|(k, _)| *k == kind) else {
            continue;
        };
        if !keys.iter().any(|k| present(e.value.get(k))) {
            return Some(MetricGap::Query {
                provider: kind.to_string(),
                key: keys[0],
            });
        }
        if !present(metric.get("successCondition")) && !present(metric.get("failureCondition")) {
            return Some(MetricGap::Condition);
        }
    }
    None
}

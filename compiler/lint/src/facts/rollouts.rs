//! Facts of Argo Rollouts manifests: each `Rollout` with its strategy, the
//! environment tier it runs in, and the analysis templates it names; and the
//! `AnalysisTemplate`s and `ClusterAnalysisTemplate`s the files define.

use pipec_diagnostics::SourceId;
use pipec_graph::Tier;

use super::{Facts, RolloutFact};
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
    if kind != "Rollout" {
        facts.analysis_templates.push(name.to_string());
        return;
    }
    let at = |p: YamlPath| Loc::yaml(file, doc.index, p);
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

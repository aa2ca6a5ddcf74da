//! The rule registry: one file per rule, each declaring its stable id and
//! name, default severity, the inputs it applies to, and (in its `//!` doc
//! comment, with fixed headings) the explanation `pipec explain` prints.
//!
//! `build.rs` refuses to build when a file in this folder is not listed here or
//! a listed module has no file, and extracts each file's doc comment into
//! [`DOCS`]. `ALL` is in id order (a test checks it).

mod analysis_without_metric;
mod archived_action;
mod argocd_allow_empty;
mod argocd_default_project;
mod argocd_wildcard_project;
mod bot_condition;
mod cache_poisoning;
mod canary_without_analysis;
mod coverage_gate;
mod critical_path_budget;
mod dangerous_trigger;
mod deploy_on_merge_request;
mod deployed_tag_never_pushed;
mod duplicate_key;
mod excessive_permissions;
mod github_env;
mod invalid_config;
mod invalid_yaml;
mod latest_only_for_releases;
mod malformed_script;
mod malformed_suppression;
mod missing_analysis_template;
mod missing_probes;
mod missing_resource_limits;
mod persisted_credentials;
mod plaintext_secret;
mod prod_manual_approval;
mod prod_revision_head;
mod promotion_order;
mod push_from_protected_refs;
mod rolling_update_downtime;
mod runs_as_root;
mod scans_before_release;
mod secrets_inherit;
mod sync_policy;
mod template_injection;
mod unknown_rule;
mod unpinned_action;
mod unpinned_image;
mod untrusted_variable_in_shell;
mod unused_suppression;

use crate::rule::{Group, Rule};

include!(concat!(env!("OUT_DIR"), "/rule_docs.rs"));

/// Every rule, in id order.
static ALL: &[&Rule] = &[
    &invalid_yaml::RULE,
    &duplicate_key::RULE,
    &unused_suppression::RULE,
    &unknown_rule::RULE,
    &invalid_config::RULE,
    &malformed_suppression::RULE,
    &malformed_script::RULE,
    &prod_manual_approval::RULE,
    &coverage_gate::RULE,
    &push_from_protected_refs::RULE,
    &latest_only_for_releases::RULE,
    &scans_before_release::RULE,
    &sync_policy::RULE,
    &promotion_order::RULE,
    &critical_path_budget::RULE,
    &plaintext_secret::RULE,
    &deployed_tag_never_pushed::RULE,
    &unpinned_action::RULE,
    &excessive_permissions::RULE,
    &template_injection::RULE,
    &dangerous_trigger::RULE,
    &persisted_credentials::RULE,
    &secrets_inherit::RULE,
    &cache_poisoning::RULE,
    &unpinned_image::RULE,
    &github_env::RULE,
    &bot_condition::RULE,
    &archived_action::RULE,
    &deploy_on_merge_request::RULE,
    &untrusted_variable_in_shell::RULE,
    &argocd_default_project::RULE,
    &argocd_wildcard_project::RULE,
    &prod_revision_head::RULE,
    &argocd_allow_empty::RULE,
    &missing_probes::RULE,
    &missing_resource_limits::RULE,
    &runs_as_root::RULE,
    &rolling_update_downtime::RULE,
    &canary_without_analysis::RULE,
    &missing_analysis_template::RULE,
    &analysis_without_metric::RULE,
];

pub fn all() -> &'static [&'static Rule] {
    ALL
}

/// The rule with this id (any case).
pub fn find(id: &str) -> Option<&'static Rule> {
    ALL.iter().copied().find(|r| r.id.eq_ignore_ascii_case(id))
}

/// A rule the engine itself reports under; the ids are constants of this
/// crate, checked by a test.
pub(crate) fn rule(id: &str) -> &'static Rule {
    find(id).unwrap_or(ALL[0])
}

/// The doc comment of a rule's file.
pub fn doc(rule: &Rule) -> &'static str {
    let stem = rule.module.rsplit("::").next().unwrap_or("");
    DOCS.iter().find(|(s, _)| *s == stem).map_or("", |(_, d)| d)
}

/// The page `pipec explain ID` prints and `docs/rules/ID.md` holds.
pub fn explanation(rule: &Rule) -> String {
    let inputs: Vec<&str> = rule.inputs.iter().map(|i| i.title()).collect();
    format!(
        "# {} {}\n\n{}\n\nDefault severity: {}. Group: {}. Applies to: {}.\n\n{}\n",
        rule.id,
        rule.name,
        rule.summary,
        rule.severity.as_str(),
        match rule.group {
            Group::File => "file (reported under every `--select`)",
            Group::Security => "security (`--select security`)",
            Group::Policy => "policy (`--select policy`)",
        },
        inputs.join(", "),
        doc(rule)
    )
}

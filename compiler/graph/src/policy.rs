//! The program's delivery policy and its suppressions, for the lint rules.

use serde::Serialize;

use crate::Span;
use crate::value::*;

/// The program's delivery policy, for the lint rules.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Policy {
    pub min_coverage: Option<Setting<Percent>>,
    pub prod_approvals: Option<Setting<u32>>,
    pub max_duration: Option<Setting<Duration>>,
    /// The budget from a push until an environment runs it.
    pub max_deploy_duration: Option<Setting<Duration>>,
    pub rules: Vec<RuleSetting>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Setting<T> {
    pub value: T,
    #[serde(skip)]
    pub span: Span,
}

/// `rule PIPE104 warning` / `rule PIPE104 off`.
#[derive(Debug, Clone, Serialize)]
pub struct RuleSetting {
    pub rule: String,
    pub level: RuleLevel,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleLevel {
    Off,
    Note,
    Warning,
    Error,
}

/// `@allow(PIPE104, "reason")` on a statement.
#[derive(Debug, Clone, Serialize)]
pub struct Suppression {
    pub rule: String,
    pub reason: String,
    /// The attribute.
    #[serde(skip)]
    pub span: Span,
    /// The statement it applies to.
    #[serde(skip)]
    pub target: Span,
}

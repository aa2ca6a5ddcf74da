//! Lint configuration: thresholds, severity per rule, environment facts the
//! YAML cannot show. It comes from `pipec.toml` (for repositories without a
//! `.pipe` program) and from a program's `policy { … }` block, which wins.
//!
//! ```toml
//! [lint]
//! select = "security"          # security | policy | all (the default)
//! min_coverage = 80            # percent; never below 70
//! prod_approvals = 2           # never below 2
//! max_duration = "5m"          # critical-path budget
//! max_deploy_duration = "8m"   # push → running in an environment
//! protected_branches = ["main", "develop"]
//!
//! [lint.rules]
//! PIPE104 = "warning"          # off | note | warning | error
//!
//! [lint.environments.production]
//! reviewers = 2                # required reviewers set in GitHub's settings
//! tier = "production"          # for names the linter cannot classify
//! ```

use std::collections::BTreeMap;

use pipec_diagnostics::{Severity, SourceId, Span};
use pipec_graph::{Duration, Percent, Policy, RuleLevel, Tier};
use serde::Deserialize;
use toml::Spanned;

use crate::loc::Loc;
use crate::rule::{Finding, Group};
use crate::rules;

/// The coverage minimum the requirements set; a configuration may raise it.
pub const MIN_COVERAGE: u32 = 70;
/// Approvers production needs at least.
pub const PROD_APPROVALS: u32 = 2;
/// The default critical-path budget (seed 002: CI under five minutes).
pub const MAX_DURATION: u64 = 5 * 60;
/// The default budget from a push until an environment runs it (seed 002:
/// under eight minutes).
pub const MAX_DEPLOY_DURATION: u64 = 8 * 60;

#[derive(Debug, Clone)]
pub struct Config {
    pub min_coverage: Percent,
    pub prod_approvals: u32,
    pub max_duration: Duration,
    pub max_deploy_duration: Duration,
    /// Branches images may be pushed from (besides release tags).
    pub protected_branches: Vec<String>,
    /// Severity per rule id; `None` turns a rule off.
    pub levels: BTreeMap<String, Option<Severity>>,
    /// Per environment name: declared reviewers and tier.
    pub environments: BTreeMap<String, EnvConfig>,
    /// Only the rules of this group (and those about the files themselves),
    /// unless a rule's level is set explicitly; `None` for all rules.
    pub select: Option<Group>,
}

#[derive(Debug, Clone, Default)]
pub struct EnvConfig {
    pub reviewers: Option<u32>,
    pub tier: Option<Tier>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            min_coverage: Percent::whole(MIN_COVERAGE),
            prod_approvals: PROD_APPROVALS,
            max_duration: Duration::from_secs(MAX_DURATION),
            max_deploy_duration: Duration::from_secs(MAX_DEPLOY_DURATION),
            protected_branches: vec!["main".into(), "master".into(), "develop".into()],
            levels: BTreeMap::new(),
            environments: BTreeMap::new(),
            select: None,
        }
    }
}

impl Config {
    /// The severity a rule reports at, or `None` when it is off.
    pub fn level(&self, id: &str, default: Severity) -> Option<Severity> {
        if let Some(level) = self.levels.get(id) {
            return *level;
        }
        if let Some(group) = self.select
            && let Some(rule) = rules::find(id)
            && rule.group != Group::File
            && rule.group != group
        {
            return None;
        }
        Some(default)
    }

    /// Reads a preset name: `security`, `policy` or `all`.
    pub fn parse_select(name: &str) -> Result<Option<Group>, String> {
        match name {
            "security" => Ok(Some(Group::Security)),
            "policy" => Ok(Some(Group::Policy)),
            "all" => Ok(None),
            other => Err(format!(
                "`{other}` is not a preset: use security, policy or all"
            )),
        }
    }

    /// The tier of an environment name, configured or guessed from its words.
    pub fn tier(&self, name: &str) -> Tier {
        self.environments
            .get(name)
            .and_then(|e| e.tier)
            .unwrap_or_else(|| crate::facts::tier_of_name(name))
    }

    pub fn reviewers(&self, env: &str) -> Option<u32> {
        self.environments.get(env).and_then(|e| e.reviewers)
    }

    /// Applies a program's `policy` block; problems become findings.
    pub fn apply_policy(&mut self, p: &Policy) -> Vec<Finding> {
        let mut out = Vec::new();
        if let Some(s) = &p.min_coverage {
            self.set_coverage(s.value, Loc::Span(s.span), &mut out);
        }
        if let Some(s) = &p.prod_approvals {
            self.set_approvals(s.value, Loc::Span(s.span), &mut out);
        }
        if let Some(s) = &p.max_duration {
            self.max_duration = s.value;
        }
        if let Some(s) = &p.max_deploy_duration {
            self.max_deploy_duration = s.value;
        }
        for r in &p.rules {
            let level = match r.level {
                RuleLevel::Off => None,
                RuleLevel::Note => Some(Severity::Note),
                RuleLevel::Warning => Some(Severity::Warning),
                RuleLevel::Error => Some(Severity::Error),
            };
            self.set_level(&r.rule, level, Loc::Span(r.span), &mut out);
        }
        out
    }

    fn set_coverage(&mut self, v: Percent, at: Loc, out: &mut Vec<Finding>) {
        if v < Percent::whole(MIN_COVERAGE) {
            out.push(
                Finding::new(
                    rules::rule("PIPE005"),
                    at,
                    format!("the coverage minimum cannot be lowered below {MIN_COVERAGE}%"),
                )
                .label(format!("{v}% is below {MIN_COVERAGE}%"))
                .help(format!(
                    "raise it to {MIN_COVERAGE}% or more; {MIN_COVERAGE}% is used"
                ))
                .clone(),
            );
        } else {
            self.min_coverage = v;
        }
    }

    fn set_approvals(&mut self, v: u32, at: Loc, out: &mut Vec<Finding>) {
        if v < PROD_APPROVALS {
            out.push(
                Finding::new(
                    rules::rule("PIPE005"),
                    at,
                    format!("production needs at least {PROD_APPROVALS} approvers"),
                )
                .label(format!("{v} is below {PROD_APPROVALS}"))
                .help(format!(
                    "raise it to {PROD_APPROVALS} or more; {PROD_APPROVALS} is used"
                ))
                .clone(),
            );
        } else {
            self.prod_approvals = v;
        }
    }

    fn set_level(&mut self, id: &str, level: Option<Severity>, at: Loc, out: &mut Vec<Finding>) {
        match rules::find(id) {
            Some(r) => {
                self.levels.insert(r.id.to_string(), level);
            }
            None => out.push(unknown_rule(id, at)),
        }
    }

    /// Reads `pipec.toml`; problems become findings in that file.
    pub fn from_toml(text: &str, source: SourceId) -> (Config, Vec<Finding>) {
        let mut cfg = Config::default();
        let mut out = Vec::new();
        let span = |r: std::ops::Range<usize>| Loc::Span(Span::new(source, r.start, r.end));
        let file: TomlFile = match toml::from_str(text) {
            Ok(f) => f,
            Err(e) => {
                let at = e.span().unwrap_or(0..0);
                out.push(
                    Finding::new(
                        rules::rule("PIPE005"),
                        span(at),
                        format!("pipec.toml cannot be read: {}", e.message()),
                    )
                    .label("here")
                    .help("see `pipec explain PIPE005` for the keys pipec.toml accepts")
                    .clone(),
                );
                return (cfg, out);
            }
        };
        let Some(lint) = file.lint else {
            return (cfg, out);
        };
        if let Some(v) = lint.min_coverage {
            let at = span(v.span());
            match crate::facts::script::percent(&v.get_ref().to_string()) {
                Some(p) => cfg.set_coverage(p, at, &mut out),
                None => out.push(invalid(at, "min_coverage must be a percent such as 80")),
            }
        }
        if let Some(v) = lint.prod_approvals {
            cfg.set_approvals(*v.get_ref(), span(v.span()), &mut out);
        }
        if let Some(v) = lint.max_duration {
            match parse_duration(v.get_ref()) {
                Some(d) => cfg.max_duration = d,
                None => out.push(invalid(
                    span(v.span()),
                    "max_duration must be a duration such as \"5m\" or \"1m30s\"",
                )),
            }
        }
        if let Some(v) = lint.select {
            match Config::parse_select(v.get_ref()) {
                Ok(g) => cfg.select = g,
                Err(e) => out.push(invalid(span(v.span()), &e)),
            }
        }
        if let Some(v) = lint.max_deploy_duration {
            match parse_duration(v.get_ref()) {
                Some(d) => cfg.max_deploy_duration = d,
                None => out.push(invalid(
                    span(v.span()),
                    "max_deploy_duration must be a duration such as \"8m\"",
                )),
            }
        }
        if let Some(b) = lint.protected_branches {
            cfg.protected_branches = b;
        }
        for (id, level) in lint.rules.unwrap_or_default() {
            let at = span(level.span());
            let l = match level.get_ref().as_str() {
                "off" => None,
                "note" => Some(Severity::Note),
                "warning" => Some(Severity::Warning),
                "error" => Some(Severity::Error),
                other => {
                    out.push(invalid(
                        at,
                        &format!("`{other}` is not a level: use off, note, warning or error"),
                    ));
                    continue;
                }
            };
            cfg.set_level(id.get_ref(), l, span(id.span()), &mut out);
        }
        for (name, e) in lint.environments.unwrap_or_default() {
            let tier = match e.tier {
                None => None,
                Some(t) => match Tier::ALL.iter().find(|(n, _)| *n == t.get_ref()) {
                    Some((_, tier)) => Some(*tier),
                    None => {
                        out.push(invalid(
                            span(t.span()),
                            "tier must be development, testing, staging, production or other",
                        ));
                        None
                    }
                },
            };
            cfg.environments.insert(
                name,
                EnvConfig {
                    reviewers: e.reviewers,
                    tier,
                },
            );
        }
        (cfg, out)
    }
}

fn invalid(at: Loc, message: &str) -> Finding {
    Finding::new(rules::rule("PIPE005"), at, message.to_string())
        .label("invalid value")
        .clone()
}

pub(crate) fn unknown_rule(id: &str, at: Loc) -> Finding {
    let names: Vec<&str> = rules::all().iter().map(|r| r.id).collect();
    let mut f = Finding::new(
        rules::rule("PIPE004"),
        at,
        format!("no lint rule has the id `{id}`"),
    );
    f.label("unknown rule");
    match pipec_diagnostics::did_you_mean(id, names) {
        Some(s) => f.help(format!("did you mean `{s}`?")),
        None => f.help("`pipec explain --list` lists every rule"),
    };
    f
}

/// `5m`, `90s`, `1h30m`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let mut total = 0u64;
    let mut num = String::new();
    for c in s.trim().chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num.parse().ok()?;
        num.clear();
        total += n * match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
    }
    (num.is_empty() && total > 0).then(|| Duration::from_secs(total))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlFile {
    lint: Option<TomlLint>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlLint {
    select: Option<Spanned<String>>,
    min_coverage: Option<Spanned<f64>>,
    prod_approvals: Option<Spanned<u32>>,
    max_duration: Option<Spanned<String>>,
    max_deploy_duration: Option<Spanned<String>>,
    protected_branches: Option<Vec<String>>,
    rules: Option<BTreeMap<Spanned<String>, Spanned<String>>>,
    environments: Option<BTreeMap<String, TomlEnv>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlEnv {
    reviewers: Option<u32>,
    tier: Option<Spanned<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pipec_toml() {
        let (c, problems) = Config::from_toml(
            "[lint]\nmin_coverage = 80\nmax_duration = \"7m\"\n[lint.rules]\nPIPE104 = \"off\"\nPIPE999 = \"error\"\n[lint.environments.live-eu]\nreviewers = 2\n",
            SourceId(0),
        );
        assert_eq!(c.min_coverage, Percent::whole(80));
        assert_eq!(c.max_duration, Duration::from_secs(420));
        assert_eq!(c.level("PIPE104", Severity::Error), None);
        assert_eq!(c.reviewers("live-eu"), Some(2));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].rule.id, "PIPE004");
    }

    #[test]
    fn presets_select_a_group_and_explicit_levels_win() {
        let (c, problems) = Config::from_toml(
            "[lint]\nselect = \"security\"\n[lint.rules]\nPIPE104 = \"warning\"\n",
            SourceId(0),
        );
        assert!(problems.is_empty());
        assert_eq!(c.level("PIPE201", Severity::Error), Some(Severity::Error));
        assert_eq!(c.level("PIPE101", Severity::Error), None);
        assert_eq!(c.level("PIPE104", Severity::Error), Some(Severity::Warning));
        assert_eq!(c.level("PIPE001", Severity::Error), Some(Severity::Error));
        let (_, problems) = Config::from_toml("[lint]\nselect = \"most\"\n", SourceId(0));
        assert_eq!(problems[0].rule.id, "PIPE005");
    }

    #[test]
    fn thresholds_only_go_up() {
        let (c, problems) = Config::from_toml("[lint]\nmin_coverage = 50\n", SourceId(0));
        assert_eq!(c.min_coverage, Percent::whole(70));
        assert_eq!(problems[0].rule.id, "PIPE005");
        let (_, problems) = Config::from_toml("[lint]\nmin_covrage = 90\n", SourceId(0));
        assert_eq!(problems.len(), 1);
    }
}

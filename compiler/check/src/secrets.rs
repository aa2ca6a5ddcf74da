//! Plain-text secrets in the program are errors: secrets are referenced by name.

use pipec_diagnostics::{Diagnostic, Span, code};

use crate::Checker;

/// Prefixes of well-known token formats, and what they are.
const TOKEN_PREFIXES: &[(&str, &str)] = &[
    ("ghp_", "a GitHub personal access token"),
    ("gho_", "a GitHub OAuth token"),
    ("ghu_", "a GitHub user token"),
    ("ghs_", "a GitHub app token"),
    ("ghr_", "a GitHub refresh token"),
    ("github_pat_", "a GitHub fine-grained token"),
    ("glpat-", "a GitLab personal access token"),
    ("xoxb-", "a Slack bot token"),
    ("xoxp-", "a Slack user token"),
    ("xoxa-", "a Slack app token"),
    ("sk_live_", "a Stripe secret key"),
    ("AKIA", "an AWS access key id"),
    ("AIza", "a Google API key"),
];

/// What the text looks like, if it looks like a credential.
pub fn looks_secret(s: &str) -> Option<&'static str> {
    if s.contains("-----BEGIN") && s.contains("PRIVATE KEY") {
        return Some("a private key");
    }
    if s.contains("hooks.slack.com/services/T") {
        return Some("a Slack webhook URL");
    }
    for word in s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')) {
        for (prefix, what) in TOKEN_PREFIXES {
            if let Some(rest) = word.strip_prefix(prefix)
                && rest.len() >= 16
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Some(what);
            }
        }
    }
    None
}

/// Whether an environment variable name says it holds a credential.
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
        "CREDENTIALS",
    ]
    .iter()
    .any(|w| n.contains(w))
}

impl Checker<'_> {
    pub(crate) fn check_plaintext_secret(&mut self, s: &str, span: Span) {
        if let Some(what) = looks_secret(s) {
            self.diags.push(
                Diagnostic::new(
                    code::PLAINTEXT_SECRET,
                    span,
                    format!("this string contains what looks like {what}"),
                )
                .label("credential in source")
                .help("revoke it, store it in the CI system's secrets, and reference it: secret(\"NAME\")"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_tokens() {
        assert!(looks_secret("token ghp_abcdefghijklmnop1234").is_some());
        assert!(looks_secret("AKIAABCDEFGHIJKLMNOP").is_some());
        assert!(looks_secret("ghp_short").is_none());
        assert!(looks_secret("pip install -r requirements.txt").is_none());
    }
}

//! Plain-text secrets in the program are errors: secrets are referenced by
//! name. Passwords inside URLs count too, and the hosts pipec sends
//! credentials to must be written in ASCII, so a look-alike cannot hide.

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
    // Every shape below is 20 characters or more; most values are shorter.
    if s.len() < 20 {
        return None;
    }
    if s.contains("-----BEGIN") && s.contains("PRIVATE KEY") {
        return Some("a private key");
    }
    if s.contains("hooks.slack.com/services/T") {
        return Some("a Slack webhook URL");
    }
    // Words of the token alphabet, split byte by byte: every byte of a
    // character outside ASCII is a separator, as the character is.
    let words = s
        .as_bytes()
        .split(|b| !(b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-'));
    for word in words {
        // A token is a prefix of four characters or more and sixteen more.
        if word.len() < 20 {
            continue;
        }
        for (prefix, what) in TOKEN_PREFIXES {
            if word.len() >= prefix.len() + 16 && word.starts_with(prefix.as_bytes()) {
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

/// The host of a URL: what follows `scheme://` and any `user@`, up to a port,
/// path, query or fragment.
pub fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    match host.strip_prefix('[') {
        // An IPv6 address: `[::1]:443`.
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => host.split(':').next().unwrap_or(host),
    }
}

/// The host of the first URL in `s` that carries a password
/// (`scheme://user:password@host`), unless the password is a reference to a
/// value held elsewhere (`$VAR`, `${VAR}`, `{{ … }}`).
pub fn url_password_host(s: &str) -> Option<&str> {
    let mut from = 0;
    while let Some(i) = s[from..].find("://").map(|i| from + i) {
        let rest = &s[i + 3..];
        let end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '/' | '?' | '#' | '"' | '\'' | '`'))
            .unwrap_or(rest.len());
        let authority = &rest[..end];
        if let Some((userinfo, host)) = authority.rsplit_once('@')
            && let Some((_, password)) = userinfo.split_once(':')
            && !password.is_empty()
            && !password.starts_with('$')
            && !password.contains("{{")
        {
            return Some(host.split(':').next().unwrap_or(host));
        }
        from = i + 3;
    }
    None
}

impl Checker<'_> {
    /// Reports a password inside a URL (E0209), unless the URL points at one
    /// of `throwaway_hosts`: the job's own service containers, whose
    /// passwords exist only for the job. Returns whether the text is clean.
    pub(crate) fn check_url_password(
        &mut self,
        text: &pipec_graph::Text,
        span: Span,
        throwaway_hosts: &[String],
    ) -> bool {
        let s = text.to_string();
        match url_password_host(&s) {
            Some(host) if !throwaway_hosts.iter().any(|h| h == host) => {
                self.diags.push(
                    Diagnostic::new(code::PLAINTEXT_SECRET, span, "this URL contains a password")
                        .label("user:password@ in a URL")
                        .help("give the password through secret(\"NAME\") in its own variable, and build the URL in the script"),
                );
                false
            }
            _ => true,
        }
    }

    /// Reports a host pipec sends credentials to that is not ASCII (E0215).
    pub(crate) fn check_credential_host(&mut self, host: &str, span: Span) -> bool {
        if host.is_ascii() {
            return true;
        }
        let odd: String = host.chars().filter(|c| !c.is_ascii()).collect();
        self.diags.push(
            Diagnostic::new(
                code::NON_ASCII_HOST,
                span,
                format!("the host `{host}` is not ASCII: {odd:?}"),
            )
            .label("credentials are sent to this host")
            .help(
                "write the host in ASCII (an internationalized name in its Punycode form, xn--…)",
            ),
        );
        false
    }

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
        // The shortest token: the shortest prefix and sixteen characters.
        assert!(TOKEN_PREFIXES.iter().all(|(p, _)| p.len() >= 4));
        assert!(looks_secret("x AIza0123456789abcdef y").is_some());
        assert!(looks_secret("x AIza0123456789abcde y").is_none());
        assert!(looks_secret("pip install -r requirements.txt").is_none());
        // Characters outside ASCII end a word, as any other separator does.
        assert!(looks_secret("é ghp_abcdefghijklmnop1234é").is_some());
        assert!(looks_secret("ghp_abcdefghijklmnoé1234567").is_none());
    }

    #[test]
    fn finds_passwords_in_urls() {
        assert_eq!(url_password_host("postgres://u:pw@db:5432/x"), Some("db"));
        assert_eq!(
            url_password_host("x https://user:tok@example.com/a"),
            Some("example.com")
        );
        assert_eq!(url_password_host("postgres://postgres@db/x"), None);
        assert_eq!(url_password_host("https://u:$TOKEN@example.com"), None);
        assert_eq!(
            url_password_host("https://u:{{ inputs.pw }}@example.com"),
            None
        );
        assert_eq!(url_password_host("https://example.com/a:b@c"), None);
        assert_eq!(url_host("https://user@gіthub.com:443/x"), "gіthub.com");
        assert_eq!(url_host("https://[::1]:8443/"), "::1");
    }
}

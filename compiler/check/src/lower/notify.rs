//! Argo CD notifications: an environment's subscriptions (`notify SERVICE
//! "RECIPIENT" [on [EVENTS]]`), the tokens of the services in `gitops`
//! (`notify SERVICE secret("KEY")`), and the check that a subscription has an
//! Application to watch.
//!
//! Argo CD's notifications controller reads the recipients from the
//! Applications' annotations and the tokens from its Secret
//! `argocd-notifications-secret`; neither is ever seen by CI, so what it would
//! refuse or drop silently at run time is refused here.

use pipec_diagnostics::{Diagnostic, Span, code, did_you_mean};
use pipec_graph::{DeployMethod, Notification, Notifier, NotifyService, Program};
use pipec_syntax::ast::{Expr, Stmt};

use crate::Checker;
use crate::eval::Scope;
use crate::stmt::Args;
use crate::types::{Ty, enum_of};
use crate::value::Value;

/// Argo CD notification triggers an environment can subscribe to, by the
/// name the program gives them.
pub(crate) const ARGO_TRIGGERS: &[(&str, &str)] = &[
    ("deployed", "on-deployed"),
    ("sync_failed", "on-sync-failed"),
    ("sync_succeeded", "on-sync-succeeded"),
    ("sync_running", "on-sync-running"),
    ("health_degraded", "on-health-degraded"),
];

/// What an environment subscribes to when it names no events.
const DEFAULT_EVENTS: [&str; 3] = ["deployed", "sync_failed", "health_degraded"];

impl Checker<'_> {
    /// `notify slack "#deploys" [on [sync_failed, health_degraded]]` of an
    /// environment.
    pub(crate) fn argo_notification(
        &mut self,
        s: &Stmt,
        scope: &Scope,
    ) -> Option<Vec<Notification>> {
        let g = s.generic()?;
        let mut args = Args::new(s, g, "notify SERVICE \"RECIPIENT\" [on [EVENTS]]");
        let service = args.next();
        let recipient = args.next();
        let (Some(service), Some(recipient)) = (service, recipient) else {
            self.shape(&args);
            return None;
        };
        let service = self.notify_service(service);
        let text = self.eval(recipient, &Ty::String, scope)?.as_literal()?;
        let triggers_ty = Ty::List(Box::new(enum_of(ARGO_TRIGGERS)));
        let events: Vec<String> = if args.word("on") {
            let e = args.next()?;
            self.eval(e, &triggers_ty, scope)?
                .into_list()
                .into_iter()
                .filter_map(|v| match v {
                    Value::Enum(n) => Some(n),
                    _ => None,
                })
                .collect()
        } else {
            DEFAULT_EVENTS.iter().map(|e| e.to_string()).collect()
        };
        self.finish(&args);
        let service = service?;
        let recipient = self.recipient(service, &text, recipient.span)?;
        Some(
            events
                .iter()
                .filter_map(|t| ARGO_TRIGGERS.iter().find(|(n, _)| n == t))
                .map(|(_, argo)| Notification {
                    trigger: argo.to_string(),
                    service,
                    recipient: recipient.clone(),
                    span: s.signature_span(),
                })
                .collect(),
        )
    }

    /// `notify telegram secret("telegram-token")` of `gitops`: the key of
    /// `argocd-notifications-secret` holding the service's token.
    pub(crate) fn notifier(&mut self, s: &Stmt, scope: &Scope) -> Option<Notifier> {
        let g = s.generic()?;
        let mut args = Args::new(s, g, "notify SERVICE secret(\"KEY\")");
        let (Some(service), Some(token)) = (args.next(), args.next()) else {
            self.shape(&args);
            return None;
        };
        let service = self.notify_service(service);
        let token_value = self.eval(token, &Ty::Secret, scope);
        self.finish(&args);
        let (service, Some(Value::Secret(token))) = (service?, token_value) else {
            return None;
        };
        if !is_secret_key(&token.name) {
            self.diags.push(
                Diagnostic::new(
                    code::NOTIFY_TOKEN_KEY,
                    token.span,
                    format!(
                        "`{}` cannot name a key of `argocd-notifications-secret`",
                        token.name
                    ),
                )
                .label("letters, digits, `-` and `_` only")
                .help(format!(
                    "name the key the token is stored under: secret(\"{}-token\")",
                    service.name()
                )),
            );
            return None;
        }
        Some(Notifier {
            service,
            token_key: token.name,
            span: s.signature_span(),
        })
    }

    fn notify_service(&mut self, e: &Expr) -> Option<NotifyService> {
        let name = e.as_ident();
        if let Some((_, s)) = NotifyService::ALL.iter().find(|(n, _)| Some(*n) == name) {
            return Some(*s);
        }
        let names = NotifyService::ALL.map(|(n, _)| n);
        let mut d = Diagnostic::new(
            code::UNKNOWN_NOTIFY_SERVICE,
            e.span,
            match name {
                Some(n) => format!("pipec does not configure Argo CD notifications to `{n}`"),
                None => "the notification service is a name".to_string(),
            },
        )
        .label(format!("expected {}", names.join(" or ")));
        d = match name.and_then(|n| did_you_mean(n, names.iter().copied())) {
            Some(s) => d.help(format!("did you mean `{s}`?")).suggest(e.span, s),
            None => d.help(format!("notify through {}", names.join(" or "))),
        };
        self.diags.push(d);
        None
    }

    /// The recipient as the service's annotation takes it, or an error.
    fn recipient(&mut self, service: NotifyService, text: &str, span: Span) -> Option<String> {
        let (ok, expected, example) = match service {
            NotifyService::Slack => {
                let channel = text.strip_prefix('#').unwrap_or(text);
                (
                    is_slack_channel(channel).then(|| channel.to_string()),
                    "a channel: lowercase letters, digits, `-` and `_`, at most 80",
                    "\"#deploys\"",
                )
            }
            NotifyService::Telegram => {
                let name = text.strip_prefix('@').unwrap_or(text);
                (
                    (is_telegram_chat(text) || is_telegram_username(name))
                        .then(|| name.to_string()),
                    "a channel's @username or a chat id such as -1001234567890",
                    "\"@acme_deploys\" or \"-1001234567890\"",
                )
            }
        };
        if ok.is_none() {
            self.diags.push(
                Diagnostic::new(
                    code::NOTIFY_RECIPIENT,
                    span,
                    format!("`{text}` is not a {} recipient", service.name()),
                )
                .label(format!("expected {expected}"))
                .help(format!("for example notify {} {example}", service.name())),
            );
        }
        ok
    }

    /// Subscriptions of environments whose services are deployed, but none
    /// through an Application: Argo CD would never send them.
    pub(crate) fn unwatched_notifications(&mut self, program: &Program) {
        for env in &program.environments {
            let Some(first) = env.notifications.first() else {
                continue;
            };
            let watched = program
                .services
                .iter()
                .any(|s| s.method == DeployMethod::ArgoCd && s.deploy.contains(&env.id));
            if watched {
                continue;
            }
            // An environment nothing is deployed to yet has nothing to watch
            // either; the subscription waits for its services.
            let Some(reached) = program.services.iter().find(|s| s.deploy.contains(&env.id)) else {
                continue;
            };
            let d = Diagnostic::new(
                code::NOTIFY_WITHOUT_ARGOCD,
                first.span,
                format!(
                    "`{}` subscribes to Argo CD notifications, but no service reaches it via argocd",
                    env.name
                ),
            )
            .label("no Argo CD Application to watch")
            .secondary(reached.deploy_span, "deployed without Argo CD");
            self.diags.push(d.help(
                "deploy the environment's services `via argocd`, or notify from CI with std.notify",
            ));
        }
    }
}

/// A Slack channel name: lowercase letters, digits, `-` and `_`, 1 to 80.
fn is_slack_channel(s: &str) -> bool {
    (1..=80).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// A Telegram username: 5 to 32 letters, digits and `_`, starting with a letter.
fn is_telegram_username(s: &str) -> bool {
    (5..=32).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A private chat's id (negative), with an optional `|THREAD`: the form Argo
/// CD's Telegram service parses as a number.
fn is_telegram_chat(s: &str) -> bool {
    let (chat, thread) = s.split_once('|').map_or((s, None), |(c, t)| (c, Some(t)));
    let digits = |d: &str| !d.is_empty() && d.len() <= 19 && d.bytes().all(|b| b.is_ascii_digit());
    chat.strip_prefix('-').is_some_and(digits) && thread.is_none_or(digits)
}

/// A key the notifications controller's `$KEY` references can name: the
/// Kubernetes Secret key characters without `.`, whose meaning inside a
/// reference Argo CD's documentation does not promise.
fn is_secret_key(s: &str) -> bool {
    (1..=253).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients() {
        assert!(is_slack_channel("deploys"));
        assert!(is_slack_channel("team_a-deploys"));
        assert!(!is_slack_channel("Deploys"));
        assert!(!is_slack_channel("a;b"));
        assert!(!is_slack_channel(""));
        assert!(is_telegram_chat("-1001234567890"));
        assert!(is_telegram_chat("-1001234567890|2"));
        assert!(!is_telegram_chat("1001234567890"));
        assert!(!is_telegram_chat("-100|"));
        assert!(is_telegram_username("acme_deploys"));
        assert!(!is_telegram_username("ab"));
        assert!(!is_telegram_username("1acme"));
        assert!(is_secret_key("telegram-token"));
        assert!(!is_secret_key("notifications/token"));
        assert!(!is_secret_key("a.b"));
    }
}

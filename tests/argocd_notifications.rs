//! Argo CD notifications: the subscriptions an environment's `notify`
//! statements become (annotations of its Applications), and the
//! configuration of the notifications controller they need
//! (`argocd-notifications-cm`), for Slack and Telegram.
//!
//! The ConfigMap passes `kubernetes-validate` and the Applications
//! `argocd-validate`; every subscribed trigger and service is configured, and
//! every trigger sends a template that exists; tokens are only `$key`
//! references to `argocd-notifications-secret`. The triggers' conditions are
//! expr expressions: they are parsed here (the subset of expr they may use,
//! anything else refused) and evaluated on Applications in the states a
//! deployment goes through — each state first validated against the Argo CD
//! models, so that every field a condition or a template reads exists — and
//! the templates are rendered on the state that fires them.

use pipec_tests::{emitted, program_from, run, scratch, tool};
use serde_json::{Value, json};

const PROGRAM: &str = r##"
use std.docker

pipeline app {
  on push to main
  image app = docker.build()
  publish app to ghcr("acme/app") { tags [sha] }
}

environment staging {
  namespace "app-staging"
  deploy    on branch main
  notify    telegram "-1001234567890" on [sync_failed, health_degraded]
}

environment prod {
  namespace "app-prod"
  promote   from staging, approvals 1
  notify    telegram "@acme_deploys"
  notify    slack "#prod-deploys" on [deployed, sync_failed]
}

service api {
  image app
  port  8000
  deploy to [staging, prod] via argocd
}

gitops {
  repo   "https://github.com/acme/deploy.git"
  argocd secret("ARGOCD_KUBECONFIG")
  notify telegram secret("telegram-bot-token")
}
"##;

const CM: &str = "deploy/argocd/argocd-notifications-cm.yaml";

fn yaml(text: &str) -> Value {
    yaml_serde::from_str(text).expect("YAML")
}

struct Output {
    cm: Value,
    staging: Value,
    prod: Value,
}

fn output() -> Output {
    let p = program_from(PROGRAM);
    let file = |path: &str| yaml(&emitted(&p, &["argocd"], path));
    Output {
        cm: file(CM),
        staging: file("deploy/argocd/api-staging.yaml"),
        prod: file("deploy/argocd/api-prod.yaml"),
    }
}

/// A `data` entry of the ConfigMap, itself YAML.
fn entry(cm: &Value, key: &str) -> Value {
    let text = cm["data"][key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in {cm:#}"));
    yaml(text)
}

fn subscriptions(app: &Value) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = app["metadata"]["annotations"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let rest = k
                .strip_prefix("notifications.argoproj.io/subscribe.")
                .unwrap_or_else(|| panic!("annotation {k}"));
            let (trigger, service) = rest.split_once('.').expect("trigger.service");
            (
                trigger.to_string(),
                service.to_string(),
                v.as_str().expect("recipients").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn each_environment_subscribes_to_what_it_names() {
    let o = output();
    let s = |t: &str, svc: &str, r: &str| (t.to_string(), svc.to_string(), r.to_string());
    assert_eq!(
        subscriptions(&o.staging),
        vec![
            s("on-health-degraded", "telegram", "-1001234567890"),
            s("on-sync-failed", "telegram", "-1001234567890"),
        ]
    );
    // Telegram's `@` and Slack's `#` are not part of what Argo CD expects.
    assert_eq!(
        subscriptions(&o.prod),
        vec![
            s("on-deployed", "slack", "prod-deploys"),
            s("on-deployed", "telegram", "acme_deploys"),
            s("on-health-degraded", "telegram", "acme_deploys"),
            s("on-sync-failed", "slack", "prod-deploys"),
            s("on-sync-failed", "telegram", "acme_deploys"),
        ]
    );
}

#[test]
fn the_configuration_holds_every_service_trigger_and_template_used() {
    let o = output();
    let data = o.cm["data"].as_object().expect("data");
    assert_eq!(o.cm["metadata"]["name"], "argocd-notifications-cm");
    assert_eq!(o.cm["metadata"]["namespace"], "argocd");
    for app in [&o.staging, &o.prod] {
        for (trigger, service, _) in subscriptions(app) {
            assert!(
                data.contains_key(&format!("trigger.{trigger}")),
                "{trigger}"
            );
            assert!(
                data.contains_key(&format!("service.{service}")),
                "{service}"
            );
        }
    }
    // Tokens: only references to keys of argocd-notifications-secret, the
    // one the program names for Telegram, the default for Slack.
    assert_eq!(
        entry(&o.cm, "service.telegram"),
        json!({"token": "$telegram-bot-token"})
    );
    assert_eq!(
        entry(&o.cm, "service.slack"),
        json!({"token": "$slack-token"})
    );
    let mut sent = Vec::new();
    let mut templates = Vec::new();
    for (key, _) in data {
        if let Some(name) = key.strip_prefix("trigger.") {
            let conditions = entry(&o.cm, key);
            let conditions = conditions.as_array().expect("a list of conditions");
            assert!(!conditions.is_empty(), "{name}");
            for c in conditions {
                for t in c["send"].as_array().expect("send") {
                    let t = t.as_str().expect("template name");
                    assert!(
                        data.contains_key(&format!("template.{t}")),
                        "{name} sends {t}, which is not defined"
                    );
                    sent.push(t.to_string());
                }
                parse(c["when"].as_str().expect("when")).unwrap_or_else(|e| panic!("{name}: {e}"));
                if let Some(field) = c["oncePer"].as_str() {
                    parse(field).unwrap_or_else(|e| panic!("{name} oncePer: {e}"));
                }
            }
        } else if let Some(name) = key.strip_prefix("template.") {
            assert!(entry(&o.cm, key)["message"].is_string(), "{name}");
            templates.push(name.to_string());
        } else {
            assert!(key.starts_with("service."), "unexpected entry {key}");
        }
    }
    // Each template is sent, by one trigger.
    sent.sort();
    templates.sort();
    assert_eq!(sent, templates);
    assert_eq!(sent.len(), 3, "{sent:?}");
    // No literal credential anywhere in the configuration.
    let text = yaml_serde::to_string(&o.cm).expect("yaml");
    assert!(
        !text.contains("xoxb-") && !text.contains("bot_token"),
        "{text}"
    );
}

#[test]
fn without_subscriptions_there_is_no_configuration() {
    let text = PROGRAM
        .lines()
        .filter(|l| !l.trim_start().starts_with("notify"))
        .collect::<Vec<_>>()
        .join("\n");
    let p = program_from(&text);
    let tree = pipec::emit(&p, &["argocd"]).expect("emits");
    assert!(tree.files().all(|f| !f.path.ends_with(CM)));
}

#[test]
fn the_configuration_and_applications_pass_their_schemas() {
    let (Some(k8s), Some(argo)) = (tool("kubernetes-validate"), tool("argocd-validate")) else {
        return;
    };
    let p = program_from(PROGRAM);
    let tree = pipec::emit(&p, &["argocd"]).expect("emits");
    let dir = scratch("argocd-notifications");
    pipec_tests::write_tree(&tree, &dir);
    let res = run(&k8s, &["--strict", CM], &dir);
    let out = pipec_tests::text(&res);
    assert!(
        res.status.success() && out.contains(" passed for resource "),
        "{out}"
    );
    let apps = [
        "deploy/argocd/api-staging.yaml",
        "deploy/argocd/api-prod.yaml",
    ];
    let res = run(&argo, &apps, &dir);
    assert!(res.status.success(), "{}", pipec_tests::text(&res));
}

/// The states an Application goes through on a deployment: its sync
/// operation's phase and its health.
const STATES: &[(&str, Option<&str>, &str)] = &[
    ("created, never synced", None, "Missing"),
    ("syncing", Some("Running"), "Progressing"),
    ("synced, pods starting", Some("Succeeded"), "Progressing"),
    ("deployed", Some("Succeeded"), "Healthy"),
    ("synced, then degraded", Some("Succeeded"), "Degraded"),
    ("sync failed", Some("Failed"), "Healthy"),
    ("sync error", Some("Error"), "Degraded"),
];

/// Which states each trigger fires in.
const FIRES: &[(&str, &[&str])] = &[
    ("on-deployed", &["deployed"]),
    (
        "on-health-degraded",
        &["synced, then degraded", "sync error"],
    ),
    ("on-sync-failed", &["sync failed", "sync error"]),
    ("on-sync-running", &["syncing"]),
    (
        "on-sync-succeeded",
        &["synced, pods starting", "deployed", "synced, then degraded"],
    ),
];

const REVISION: &str = "0123456789abcdef0123456789abcdef01234567";

/// The Application `app` in a state, as the notifications controller sees it.
fn in_state(app: &Value, phase: Option<&str>, health: &str) -> Value {
    let mut app = app.clone();
    let mut status = json!({
        "sync": {"status": "Synced", "revision": REVISION},
        "health": {"status": health},
    });
    if let Some(phase) = phase {
        status["operationState"] = json!({
            "phase": phase,
            "message": format!("sync {}", phase.to_lowercase()),
            "startedAt": "2026-01-01T00:00:00Z",
            "operation": {"sync": {"revision": REVISION}},
            "syncResult": {"revision": REVISION},
        });
    }
    app["status"] = status;
    app
}

#[test]
fn triggers_fire_in_the_states_they_are_named_after() {
    let o = output();
    let all: Vec<&str> = pipec_target_argocd::notifications::TRIGGERS
        .iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(all, FIRES.iter().map(|(t, _)| *t).collect::<Vec<_>>());
    let validate = tool("argocd-validate");
    let dir = scratch("argocd-notification-states");
    for (state, phase, health) in STATES {
        let app = in_state(&o.prod, *phase, health);
        // Every field the conditions and templates read exists in Argo CD's
        // Application (unknown fields are refused).
        if let Some(validate) = &validate {
            // JSON, a YAML whose strings stay strings (a timestamp too).
            std::fs::write(dir.join("app.yaml"), app.to_string()).expect("write");
            let res = run(validate, &["app.yaml"], &dir);
            assert!(res.status.success(), "{state}: {}", pipec_tests::text(&res));
        }
        let env = json!({ "app": app });
        for t in pipec_target_argocd::notifications::TRIGGERS {
            let fires = eval(&parse(t.when).expect("parses"), &env) == json!(true);
            let expected = FIRES.iter().any(|(n, s)| *n == t.name && s.contains(state));
            assert_eq!(fires, expected, "{} in state `{state}`", t.name);
            if fires {
                let message = render_template(t.message, &env);
                assert!(message.contains("api-prod"), "{message}");
                assert!(message.contains("app-prod"), "{message}");
                markup_is_balanced(&message);
            }
        }
    }
    // The configuration written is the table checked here.
    for t in pipec_target_argocd::notifications::TRIGGERS {
        let key = format!("trigger.{}", t.name);
        if o.cm["data"].get(&key).is_some() {
            let c = &entry(&o.cm, &key)[0];
            assert_eq!(c["when"], t.when);
            assert_eq!(
                entry(&o.cm, &format!("template.{}", t.template))["message"],
                t.message
            );
        }
    }
}

/// Slack's mrkdwn and Telegram's Markdown: backticks in pairs, and none of
/// the other markup characters, which names could not close.
fn markup_is_balanced(message: &str) {
    assert_eq!(message.matches('`').count() % 2, 0, "{message}");
    assert!(!message.contains(['*', '_', '[']), "{message}");
}

/// Renders the field references (`{{.app.metadata.name}}`) of a Go template;
/// any other action is refused, as is a field the Application does not have.
fn render_template(template: &str, env: &Value) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("closed action") + start;
        let action = rest[start + 2..end].trim();
        let path = action
            .strip_prefix('.')
            .unwrap_or_else(|| panic!("not a field reference: {action}"));
        let v = lookup(env, path);
        let s = v
            .as_str()
            .unwrap_or_else(|| panic!("`{action}` is not a string here: {v}"));
        assert!(!s.is_empty(), "`{action}` is empty");
        out.push_str(s);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    assert!(!out.contains("}}"), "{out}");
    out
}

fn lookup(env: &Value, path: &str) -> Value {
    let mut v = env;
    for part in path.split('.') {
        assert!(
            !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()),
            "field `{part}` of `{path}`"
        );
        v = &v[part];
    }
    v.clone()
}

/// The subset of expr the triggers may use.
#[derive(Debug)]
enum Expr {
    Field(String),
    Str(String),
    List(Vec<Expr>),
    Op(&'static str, Box<Expr>, Box<Expr>),
}

#[derive(Debug, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Sym(&'static str),
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_alphabetic() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
            out.push(Token::Ident(chars[start..i].iter().collect()));
        } else if c == '\'' || c == '"' {
            let close = chars[i + 1..]
                .iter()
                .position(|&d| d == c)
                .ok_or("unterminated string")?;
            let s: String = chars[i + 1..i + 1 + close].iter().collect();
            if s.contains('\\') {
                return Err("escapes are outside the subset".into());
            }
            out.push(Token::Str(s));
            i += close + 2;
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let sym = match (two.as_str(), c) {
                ("==", _) => "==",
                ("!=", _) => "!=",
                ("&&", _) => "and",
                ("||", _) => "or",
                (_, '[') => "[",
                (_, ']') => "]",
                (_, '(') => "(",
                (_, ')') => ")",
                (_, ',') => ",",
                _ => return Err(format!("unexpected `{c}`")),
            };
            i += if matches!(sym, "==" | "!=" | "and" | "or") {
                2
            } else {
                1
            };
            out.push(Token::Sym(sym));
        }
    }
    Ok(out)
}

fn parse(text: &str) -> Result<Expr, String> {
    let toks = tokens(text)?;
    let mut p = Parser { toks, i: 0 };
    let e = p.or()?;
    if p.i != p.toks.len() {
        return Err(format!("trailing {:?}", p.toks[p.i]));
    }
    Ok(e)
}

struct Parser {
    toks: Vec<Token>,
    i: usize,
}

impl Parser {
    fn word(&mut self, w: &str) -> bool {
        let hit = match self.toks.get(self.i) {
            Some(Token::Ident(s)) => s == w,
            Some(Token::Sym(s)) => *s == w,
            _ => false,
        };
        if hit {
            self.i += 1;
        }
        hit
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut e = self.and()?;
        while self.word("or") {
            e = Expr::Op("or", Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut e = self.compare()?;
        while self.word("and") {
            e = Expr::Op("and", Box::new(e), Box::new(self.compare()?));
        }
        Ok(e)
    }

    fn compare(&mut self) -> Result<Expr, String> {
        let left = self.operand()?;
        for op in ["==", "!=", "in"] {
            if self.word(op) {
                return Ok(Expr::Op(op, Box::new(left), Box::new(self.operand()?)));
            }
        }
        Ok(left)
    }

    fn operand(&mut self) -> Result<Expr, String> {
        if self.word("(") {
            let e = self.or()?;
            return if self.word(")") {
                Ok(e)
            } else {
                Err("unclosed `(`".into())
            };
        }
        if self.word("[") {
            let mut items = Vec::new();
            while !self.word("]") {
                if !items.is_empty() && !self.word(",") {
                    return Err("expected `,` in a list".into());
                }
                items.push(self.operand()?);
            }
            return Ok(Expr::List(items));
        }
        let t = self.toks.get(self.i).ok_or("expression ends early")?;
        self.i += 1;
        match t {
            Token::Str(s) => Ok(Expr::Str(s.clone())),
            Token::Ident(s) if !["and", "or", "in", "not"].contains(&s.as_str()) => {
                if s.split('.').any(str::is_empty) {
                    return Err(format!("malformed field `{s}`"));
                }
                Ok(Expr::Field(s.clone()))
            }
            t => Err(format!("unexpected {t:?}")),
        }
    }
}

/// Evaluates like expr on a map environment: a missing field is nil.
fn eval(e: &Expr, env: &Value) -> Value {
    match e {
        Expr::Field(path) => lookup(env, path),
        Expr::Str(s) => json!(s),
        Expr::List(items) => Value::Array(items.iter().map(|i| eval(i, env)).collect()),
        Expr::Op(op, a, b) => {
            let (a, b) = (eval(a, env), eval(b, env));
            json!(match *op {
                "==" => a == b,
                "!=" => a != b,
                "in" => b.as_array().expect("a list").contains(&a),
                "and" => a == json!(true) && b == json!(true),
                "or" => a == json!(true) || b == json!(true),
                _ => unreachable!(),
            })
        }
    }
}

#[test]
fn the_expression_subset_refuses_what_it_does_not_know() {
    assert!(parse("app.status.health.status == 'Degraded'").is_ok());
    assert!(parse("a in ['x', 'y'] and (b == 'c' or d != 'e')").is_ok());
    for bad in [
        "app.status.health.status = 'Degraded'",
        "app.status.health.status == 'Degraded",
        "app..status == 'x'",
        "a in ['x' 'y']",
        "(a == 'b'",
        "a == 'b' and",
        "len(a) > 1",
    ] {
        assert!(parse(bad).is_err(), "{bad}");
    }
}

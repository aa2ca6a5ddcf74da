//! The configuration of Argo CD's notifications controller that the
//! Applications' subscriptions need: `argocd-notifications-cm`, with a
//! service per notification service the program subscribes to (its token a
//! `$key` reference to `argocd-notifications-secret`, never the token), and
//! the triggers and templates of the events it subscribes to.
//!
//! The ConfigMap is the whole configuration of the controller: applied with
//! the other Argo CD objects, it replaces what the installation shipped
//! (Argo CD's own catalog of triggers included), so that what is sent is what
//! the program says.

use pipec_emit::yaml::{self, Map, Yaml, map};
use pipec_graph::{GitOps, NotifyService, Program, Service};

use crate::metadata;

/// The ConfigMap's name, fixed by Argo CD.
pub const CONFIG_MAP: &str = "argocd-notifications-cm";
/// The Secret the `$key` references are resolved in, fixed by Argo CD.
pub const SECRET: &str = "argocd-notifications-secret";

/// One event an environment can subscribe to: Argo CD's trigger, when it
/// fires (an expr expression on the Application `app`), and the template it
/// sends.
pub struct Trigger {
    pub name: &'static str,
    pub description: &'static str,
    pub when: &'static str,
    /// Fire once per value of this field rather than on every change.
    pub once_per: Option<&'static str>,
    pub template: &'static str,
    /// The template's message (Go text/template over `app`), read by Slack
    /// as mrkdwn and by Telegram as Markdown: only backticks are markup.
    pub message: &'static str,
}

/// Every trigger an environment can subscribe to (the checker's names map
/// onto these).
pub const TRIGGERS: &[Trigger] = &[
    Trigger {
        name: "on-deployed",
        description: "The new revision is synced and the application healthy; once per revision.",
        when: "app.status.operationState.phase in ['Succeeded'] and app.status.health.status == 'Healthy'",
        once_per: Some("app.status.sync.revision"),
        template: "app-deployed",
        message: "{{.app.metadata.name}} is deployed: revision `{{.app.status.sync.revision}}` is synced and healthy in {{.app.spec.destination.namespace}}.",
    },
    Trigger {
        name: "on-health-degraded",
        description: "The application has become degraded.",
        when: "app.status.health.status == 'Degraded'",
        once_per: None,
        template: "app-health-degraded",
        message: "{{.app.metadata.name}} is degraded in {{.app.spec.destination.namespace}} at revision `{{.app.status.sync.revision}}`.",
    },
    Trigger {
        name: "on-sync-failed",
        description: "A sync ended in an error or failed.",
        when: "app.status.operationState.phase in ['Error', 'Failed']",
        once_per: None,
        template: "app-sync-failed",
        message: "{{.app.metadata.name}} failed to sync revision `{{.app.status.operationState.syncResult.revision}}` to {{.app.spec.destination.namespace}}: {{.app.status.operationState.message}}",
    },
    Trigger {
        name: "on-sync-running",
        description: "A sync has started.",
        when: "app.status.operationState.phase in ['Running']",
        once_per: None,
        template: "app-sync-running",
        message: "{{.app.metadata.name}} is syncing to {{.app.spec.destination.namespace}}.",
    },
    Trigger {
        name: "on-sync-succeeded",
        description: "A sync succeeded.",
        when: "app.status.operationState.phase in ['Succeeded']",
        once_per: None,
        template: "app-sync-succeeded",
        message: "{{.app.metadata.name}} synced revision `{{.app.status.operationState.syncResult.revision}}` to {{.app.spec.destination.namespace}}.",
    },
];

/// The trigger of this Argo CD name.
pub fn trigger(name: &str) -> Option<&'static Trigger> {
    TRIGGERS.iter().find(|t| t.name == name)
}

/// The ConfigMap, when some environment an Application is written for
/// subscribes to a notification.
pub fn config_map(program: &Program, gitops: &GitOps, services: &[&Service]) -> Option<Yaml> {
    let mut used: Vec<NotifyService> = Vec::new();
    let mut triggers: Vec<&Trigger> = Vec::new();
    for s in services {
        for id in &s.deploy {
            for n in &program.environment(*id).notifications {
                if !used.contains(&n.service) {
                    used.push(n.service);
                }
                // The checker names only triggers of the table.
                if let Some(t) = trigger(&n.trigger)
                    && !triggers.iter().any(|u| u.name == t.name)
                {
                    triggers.push(t);
                }
            }
        }
    }
    if used.is_empty() {
        return None;
    }
    used.sort_unstable();
    triggers.sort_by_key(|t| t.name);
    let mut data = Map::new();
    for service in used {
        let config = map([(
            "token",
            Yaml::from(format!("${}", gitops.token_key(service))),
        )]);
        data.insert(
            format!("service.{}", service.name()),
            yaml::to_string(&config.into()),
        );
    }
    for t in &triggers {
        let mut condition = map([
            ("description", Yaml::from(t.description)),
            ("when", Yaml::from(t.when)),
        ]);
        if let Some(field) = t.once_per {
            condition.insert("oncePer", field);
        }
        condition.insert("send", vec![t.template]);
        data.insert(
            format!("trigger.{}", t.name),
            yaml::to_string(&Yaml::Seq(vec![condition.into()])),
        );
    }
    for t in &triggers {
        let template = map([("message", Yaml::from(t.message))]);
        data.insert(
            format!("template.{}", t.template),
            yaml::to_string(&template.into()),
        );
    }
    let mut meta = metadata(CONFIG_MAP);
    // The labels of Argo CD's own installation, so that tools selecting
    // its objects find this one.
    meta.insert(
        "labels",
        map([
            ("app.kubernetes.io/name", Yaml::from(CONFIG_MAP)),
            ("app.kubernetes.io/part-of", Yaml::from("argocd")),
        ]),
    );
    Some(
        map([
            ("apiVersion", Yaml::from("v1")),
            ("kind", Yaml::from("ConfigMap")),
            ("metadata", Yaml::Map(meta)),
            ("data", Yaml::Map(data)),
        ])
        .into(),
    )
}

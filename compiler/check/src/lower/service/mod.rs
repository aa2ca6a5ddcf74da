//! `service NAME { … }`: the application deployed to Kubernetes. Its probes
//! and metrics are read in [`probes`], what its pods and Kubernetes Service
//! are made of (pull secrets, volumes, exposure, selector) in [`pod`], how it
//! rolls out (canary, blue-green, analysis) in [`rollout`], with the
//! measurements of its metrics in [`measure`], its alerts in [`alerts`], the
//! Helm chart it may be deployed from instead in [`helm`].
//! `worker` and `cronjob` are read here too, with what only they have in
//! [`workload`].

pub(crate) mod alerts;
mod helm;
pub(crate) mod measure;
mod pod;
mod probes;
pub(crate) mod rollout;
pub(crate) mod workload;

use pipec_diagnostics::{Diagnostic, code};
use pipec_graph::{
    DeployMethod, EnvId, Expose, Hooks, ImageId, Ingress, Probes, Program, SecretRef, Service,
    ServiceId, ServiceSecret, Tier,
};
use pipec_syntax::ast::{Expr, ExprKind, Stmt};

use super::World;
use crate::Checker;
use crate::declare::{Decl, Decls};
use crate::eval::Scope;
use crate::stmt::{Args, Vocabulary, block_stmts};
use crate::types::Ty;
use crate::value::Value;

pub(crate) const V: Vocabulary = Vocabulary {
    context: "a service",
    heads: &[
        "image",
        "port",
        "metrics",
        "probes",
        "resources",
        "replicas",
        "autoscale",
        "min_available",
        "config",
        "secrets",
        "ingress",
        "deploy",
        "user",
        "migrate",
        "smoke_test",
        "pull_secrets",
        "volume",
        "expose",
        "selector",
        "rollout",
        "alerts",
        "helm",
    ],
};

/// The user id containers run as unless the service says otherwise.
const DEFAULT_USER: u32 = 10001;

impl Checker<'_> {
    pub(crate) fn service(
        &mut self,
        world: &World,
        decls: &Decls,
        d: &Decl,
        index: usize,
        program: &Program,
    ) -> Option<Service> {
        let stmt = &world.files[d.at.file].file.stmts[d.at.index];
        let kind = stmt.generic().map_or("service", |g| g.head.name.as_str());
        let vocab = match kind {
            "worker" => &workload::WORKER,
            "cronjob" => &workload::CRONJOB,
            _ => &V,
        };
        let mut draft = workload::Draft::default();
        let mut unprobed = false;
        let images = decls.image_names();
        let envs = decls.environment_names();
        let scope = Scope {
            images,
            environments: &envs,
            ..Scope::default()
        };
        let mut seen = Vec::new();
        let mut image: Option<ImageId> = None;
        let mut port: Option<u16> = None;
        let mut s = Service {
            id: ServiceId(index as u32),
            name: d.name.clone(),
            span: d.span,
            file: crate::load::display(&world.files[d.at.file].path),
            image: ImageId(0),
            port: 0,
            metrics: None,
            probes: Probes::default(),
            resources: None,
            replicas: 1,
            autoscale: None,
            min_available: None,
            config: Vec::new(),
            secrets: Vec::new(),
            ingress: None,
            deploy: Vec::new(),
            deploy_span: d.span,
            method: DeployMethod::ArgoCd,
            run_as_user: DEFAULT_USER,
            hooks: Hooks::default(),
            pull_secrets: Vec::new(),
            volumes: Vec::new(),
            expose: Expose::default(),
            selector: None,
            selector_span: None,
            rollouts: Vec::new(),
            alerts: None,
            helm: None,
            workload: pipec_graph::Workload::Http,
        };
        let mut probes_stmt = None;
        let mut config_stmt = None;
        let mut metrics_stmt = None;
        let mut rollout_stmts = Vec::new();
        let mut alerts_stmt = None;
        let mut helm_stmt = None;
        let body = stmt.generic().map(|g| block_stmts(&g.block)).unwrap_or(&[]);
        for st in body {
            let Some(g) = st.generic() else {
                self.unknown_statement(st, vocab);
                continue;
            };
            let head = g.head.name.as_str();
            if !vocab.heads.contains(&head) {
                if V.heads.contains(&head) {
                    self.no_port_statement(st, kind, head);
                } else {
                    self.unknown_statement(st, vocab);
                }
                continue;
            }
            if head == "rollout" {
                rollout_stmts.push(st);
                continue;
            }
            if head != "volume" && !self.once(&mut seen, head, g.head.span) {
                continue;
            }
            match head {
                "image" => {
                    if let Some(e) = self.single(st, "image IMAGE")
                        && let Some(Value::Ref(name, _)) = self.eval(e, &Ty::Image, &scope)
                    {
                        image = program.image_named(&name).map(|i| i.id);
                    }
                }
                "port" => port = self.port(st, &scope),
                "metrics" => metrics_stmt = Some(st),
                "alerts" => alerts_stmt = Some(st),
                "helm" => helm_stmt = Some(st),
                "probes" if kind == "worker" && self.probes_none(st) => unprobed = true,
                "probes" => probes_stmt = Some(st),
                "command" | "schedule" | "timezone" | "concurrency" | "history" | "retries"
                | "deadline" | "start_within" => {
                    self.workload_stmt(head, st, &mut draft, &scope);
                }
                "resources" => s.resources = self.resources(st, &scope),
                "replicas" => {
                    if let Some(e) = self.single(st, "replicas N")
                        && let Some(Value::Int(n)) = self.eval(e, &Ty::Int, &scope)
                    {
                        s.replicas = self.count(n, 0, 1000, e.span).unwrap_or(1);
                    }
                }
                "autoscale" => s.autoscale = self.autoscale(st, &scope),
                "min_available" => {
                    if let Some(e) = self.single(st, "min_available N")
                        && let Some(Value::Int(n)) = self.eval(e, &Ty::Int, &scope)
                    {
                        s.min_available = self.count(n, 0, 1000, e.span);
                    }
                }
                "config" => {
                    if let Some(e) = self.single(st, "config { KEY: \"value\" }") {
                        s.config = self.string_map(e, &scope);
                        config_stmt = Some(e);
                    }
                }
                "secrets" => {
                    if let Some(e) = self.single(st, "secrets { ENV: secret(\"secret-name/key\") }")
                    {
                        s.secrets = self.service_secrets(e, &d.name, &scope);
                    }
                }
                "ingress" => s.ingress = self.ingress(st, &scope),
                "deploy" => {
                    s.deploy_span = st.span;
                    if let Some((envs, method)) = self.deploy_to(st, &scope, decls) {
                        s.deploy = envs;
                        s.method = method;
                    }
                }
                "user" => {
                    if let Some(e) = self.single(st, "user UID")
                        && let Some(Value::Int(n)) = self.eval(e, &Ty::Int, &scope)
                    {
                        if n == 0 {
                            self.diags.push(
                                Diagnostic::new(
                                    code::OUT_OF_RANGE,
                                    e.span,
                                    "containers never run as root",
                                )
                                .label("user 0 is root")
                                .help("use an unprivileged id such as 10001"),
                            );
                        } else if let Some(n) = self.count(n, 1, 2_147_483_647, e.span) {
                            s.run_as_user = n;
                        }
                    }
                }
                "migrate" | "smoke_test" => {
                    let shape = if head == "migrate" {
                        "migrate \"COMMAND\""
                    } else {
                        "smoke_test \"COMMAND\""
                    };
                    if let Some(e) = self.single(st, shape)
                        && let Some(cmd) = self
                            .eval(e, &Ty::String, &scope)
                            .and_then(|v| v.as_literal())
                    {
                        let argv = vec!["sh".to_string(), "-c".to_string(), cmd];
                        if head == "migrate" {
                            s.hooks.pre_sync = Some(argv);
                        } else {
                            s.hooks.post_sync = Some(argv);
                        }
                    }
                }
                "pull_secrets" => {
                    if let Some(e) = self.single(st, "pull_secrets secret(\"NAME\") | [SECRETS]") {
                        s.pull_secrets = self.pull_secrets(e, &scope);
                    }
                }
                "volume" => {
                    if let Some(v) = self.volume(st, &scope) {
                        s.volumes.push(v);
                    }
                }
                "expose" => {
                    if let Some(x) = self.expose(st, &scope) {
                        s.expose = x;
                    }
                }
                "selector" => {
                    if let Some(e) = self.single(st, "selector { LABEL: \"value\" }") {
                        s.selector = self.selector(e, &scope);
                        s.selector_span = Some(st.span);
                    }
                }
                _ => {}
            }
        }
        self.distinct_volumes(&mut s.volumes);
        if let Some(st) = config_stmt {
            self.environment_values(&s, st, program);
        }
        let missing = |what: &str, hint: &str| {
            Diagnostic::new(
                code::MISSING_STATEMENT,
                d.span,
                format!("{kind} `{}` has no {what}", d.name),
            )
            .label(format!("needs `{what}`"))
            .help(hint.to_string())
        };
        let damaged = self.in_damaged(d.span);
        if !seen.iter().any(|(h, _)| h == "image") && !damaged {
            self.diags
                .push(missing("image", "name the image it runs: image app"));
        }
        let said = |head: &str| seen.iter().any(|(h, _)| h == head);
        match kind {
            "service" if !said("port") && !damaged => self.diags.push(missing(
                "port",
                "the port the container listens on: port 8000",
            )),
            "worker" if !said("probes") && !damaged => {
                self.worker_without_probes(&d.name, d.span);
            }
            "cronjob" if !damaged => {
                if !said("schedule") {
                    self.diags.push(missing(
                        "schedule",
                        "when it runs, a five-field cron schedule: schedule \"0 3 * * *\"",
                    ));
                }
                if !said("command") {
                    self.diags.push(missing(
                        "command",
                        "what each run executes: command \"python -m app.report\"",
                    ));
                }
            }
            _ => {}
        }
        s.port = port.unwrap_or(0);
        if let Some(st) = metrics_stmt {
            s.metrics = self.metrics(st, s.port, &scope);
        }
        if let Some(st) = probes_stmt {
            s.probes = self.probes(st, s.port, kind == "worker", &scope);
        }
        s.rollouts = self.rollouts(&rollout_stmts, &s, &scope, decls);
        if let Some(st) = alerts_stmt {
            s.alerts = self.alerts(st, s.metrics.as_ref(), &scope);
        }
        if let Some(st) = helm_stmt {
            s.helm = self.helm(st, &s, body, &scope);
        }
        s.workload = self.workload(kind, draft, unprobed, &scope)?;
        s.image = image?;
        (s.port != 0 || !s.serves_http()).then_some(s)
    }

    /// Warns about a configuration value that names one environment (its
    /// name or its tier, `ENVIRONMENT: "production"`) in a service deployed to
    /// several: every environment would get it.
    fn environment_values(&mut self, s: &Service, config: &Expr, program: &Program) {
        let ExprKind::Record(fields) = &config.kind else {
            return;
        };
        if s.deploy.len() < 2 {
            return;
        }
        for (key, value) in &s.config {
            let Some(env) = s.deploy.iter().map(|e| program.environment(*e)).find(|e| {
                value.eq_ignore_ascii_case(&e.name)
                    || (e.tier != Tier::Other && value.eq_ignore_ascii_case(e.tier.name()))
            }) else {
                continue;
            };
            let Some(f) = fields.iter().find(|f| f.key.name == *key) else {
                continue;
            };
            let others: Vec<&str> = s
                .deploy
                .iter()
                .map(|e| program.environment(*e))
                .filter(|e| e.id != env.id)
                .map(|e| e.name.as_str())
                .collect();
            self.diags.push(
                Diagnostic::new(
                    code::ENVIRONMENT_VALUE_EVERYWHERE,
                    f.value.span,
                    format!(
                        "`{key}` names environment `{}`, but `{}` also runs in {}",
                        env.name,
                        s.name,
                        others.join(", ")
                    ),
                )
                .label(format!("{key}={value} in every environment"))
                .secondary(env.span, "the environment it names")
                .help(format!(
                    "set it in each environment: config {{ {key}: \"…\" }} in `environment {}` and the others",
                    env.name
                )),
            );
        }
    }

    fn port(&mut self, st: &Stmt, scope: &Scope) -> Option<u16> {
        let e = self.single(st, "port N")?;
        let Value::Int(n) = self.eval(e, &Ty::Int, scope)? else {
            return None;
        };
        self.count(n, 1, 65535, e.span).map(|n| n as u16)
    }

    /// `secrets { DATABASE_URL: secret("flask/db-url") }`: Kubernetes Secret
    /// keys; `secret("KEY")` alone means the key in the `<service>-secrets` Secret.
    fn service_secrets(&mut self, e: &Expr, service: &str, scope: &Scope) -> Vec<ServiceSecret> {
        let mut out = Vec::new();
        let ExprKind::Record(fields) = &e.kind else {
            self.mismatch(e, &Ty::Map(Box::new(Ty::Secret)));
            return out;
        };
        for f in fields {
            if !super::is_env_name(&f.key.name) {
                self.diags.push(
                    Diagnostic::new(
                        code::INVALID_NAME,
                        f.key.span,
                        format!("`{}` is not a valid environment variable name", f.key.name),
                    )
                    .label("invalid name")
                    .help("use letters, digits and `_`: DATABASE_URL"),
                );
                continue;
            }
            let Some(Value::Secret(SecretRef { name, span })) =
                self.eval(&f.value, &Ty::Secret, scope)
            else {
                continue;
            };
            let (secret, key) = match name.rsplit_once('/') {
                Some((s, k)) => (s.to_string(), k.to_string()),
                None => (
                    format!("{}-secrets", service.replace('_', "-")),
                    name.clone(),
                ),
            };
            if !super::is_dns_label(&secret) || key.is_empty() {
                self.diags.push(
                    Diagnostic::new(code::INVALID_NAME, span, format!("`{name}` is not `secret-name/key`"))
                        .label("invalid Kubernetes secret reference")
                        .help("secret names are lowercase letters, digits and `-`: secret(\"flask-api/database-url\")"),
                );
                continue;
            }
            out.push(ServiceSecret {
                env: f.key.name.clone(),
                secret,
                key,
                span: f.span,
            });
        }
        out
    }

    /// `ingress { host "api.example.com", path "/", class "nginx", tls "api-tls" }`
    fn ingress(&mut self, st: &Stmt, scope: &Scope) -> Option<Ingress> {
        const IV: Vocabulary = Vocabulary {
            context: "an ingress",
            heads: &["host", "path", "class", "tls"],
        };
        let g = st.generic()?;
        let mut ing = Ingress {
            host: String::new(),
            path: "/".into(),
            class: None,
            tls_secret: None,
        };
        let mut seen = Vec::new();
        for s in block_stmts(&g.block) {
            let Some(ig) = s.generic() else {
                self.unknown_statement(s, &IV);
                continue;
            };
            let head = ig.head.name.as_str();
            if !IV.heads.contains(&head) {
                self.unknown_statement(s, &IV);
                continue;
            }
            if !self.once(&mut seen, head, ig.head.span) {
                continue;
            }
            let Some(e) = self.single(s, "host \"NAME\"") else {
                continue;
            };
            let Some(v) = self
                .eval(e, &Ty::String, scope)
                .and_then(|v| v.as_literal())
            else {
                continue;
            };
            match head {
                "host" => {
                    let ok = !v.is_empty()
                        && v.split('.').all(|l| {
                            !l.is_empty()
                                && l.chars().all(|c| {
                                    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
                                })
                        });
                    if ok {
                        ing.host = v;
                    } else {
                        self.diags.push(
                            Diagnostic::new(
                                code::INVALID_NAME,
                                e.span,
                                format!("`{v}` is not a host name"),
                            )
                            .label("invalid host")
                            .help("a DNS name such as \"api.example.com\""),
                        );
                    }
                }
                "path" => {
                    if self.http_path(&v, e.span).is_some() {
                        ing.path = v;
                    }
                }
                "class" => ing.class = Some(v),
                _ => ing.tls_secret = Some(v),
            }
        }
        if ing.host.is_empty()
            && (seen.iter().any(|(h, _)| h == "host") || self.in_damaged(st.span))
        {
            // Written, but wrong: reported where it is written.
            return None;
        }
        if ing.host.is_empty() {
            self.diags.push(
                Diagnostic::new(
                    code::MISSING_STATEMENT,
                    st.signature_span(),
                    "ingress has no host",
                )
                .label("needs `host \"…\"`")
                .help("ingress { host \"api.example.com\" }"),
            );
            return None;
        }
        Some(ing)
    }

    /// `deploy to [dev, staging, prod] via argocd|kubectl(kubeconfig: secret("…"))`
    fn deploy_to(
        &mut self,
        st: &Stmt,
        scope: &Scope,
        decls: &Decls,
    ) -> Option<(Vec<EnvId>, DeployMethod)> {
        let g = st.generic()?;
        let shape = "deploy to [ENVIRONMENTS] via argocd|kubectl(kubeconfig: secret(\"…\"))";
        let mut args = Args::new(st, g, shape);
        if !args.word("to") {
            self.shape(&args);
            return None;
        }
        let targets = args.next()?;
        let mut method = DeployMethod::ArgoCd;
        if args.word("via") {
            let m = args.next()?;
            method = self.deploy_method(m, scope)?;
        }
        self.finish(&args);
        let list = self.eval(targets, &Ty::List(Box::new(Ty::Environment)), scope)?;
        let mut envs: Vec<EnvId> = Vec::new();
        for v in list.into_list() {
            if let Value::Ref(name, span) = v
                && let Some(i) = decls.environments.iter().position(|d| d.name == name)
            {
                if envs.contains(&EnvId(i as u32)) {
                    self.diags.push(
                        Diagnostic::new(
                            code::DUPLICATE_DEFINITION,
                            span,
                            format!("`{name}` is listed twice"),
                        )
                        .label("again")
                        .help("list each environment once"),
                    );
                    continue;
                }
                envs.push(EnvId(i as u32));
            }
        }
        Some((envs, method))
    }

    fn deploy_method(&mut self, m: &Expr, scope: &Scope) -> Option<DeployMethod> {
        let (name, args) = match &m.kind {
            ExprKind::Ident(n) => (n.as_str(), &[][..]),
            ExprKind::Call { callee, args } => (callee.as_ident().unwrap_or(""), args.as_slice()),
            _ => ("", &[][..]),
        };
        match (name, args) {
            ("argocd", []) => Some(DeployMethod::ArgoCd),
            ("kubectl", [a]) if a.name.as_ref().is_none_or(|n| n.name == "kubeconfig") => {
                match self.eval(&a.value, &Ty::Secret, scope)? {
                    Value::Secret(kubeconfig) => Some(DeployMethod::Kubectl { kubeconfig }),
                    _ => None,
                }
            }
            ("kubectl", _) => {
                self.diags.push(
                    Diagnostic::new(
                        code::MISSING_ARGUMENT,
                        m.span,
                        "kubectl deployments need a kubeconfig",
                    )
                    .label("no credentials")
                    .help("via kubectl(kubeconfig: secret(\"KUBE_CONFIG\"))"),
                );
                None
            }
            _ => {
                self.unknown_variant(m.span, name, &["argocd".into(), "kubectl".into()]);
                None
            }
        }
    }
}

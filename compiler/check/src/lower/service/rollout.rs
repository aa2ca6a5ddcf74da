//! `rollout canary|blue_green [in [ENVS]] { … }` of a service and its
//! `analysis` (whose measurements are read in `measure`). Everything a rollout needs from the rest of the service (where it
//! is deployed and how, what it exposes) is checked here, once the service's
//! other statements are read.

use pipec_diagnostics::{Diagnostic, Span, code};
use pipec_graph::{
    Analysis, CanaryStep, DeployMethod, Duration, EnvId, GatewayRef, Metrics, Percent, Rollout,
    Service, Strategy, Traffic,
};
use pipec_syntax::ast::{BinaryOp, Expr, ExprKind, Stmt};

use crate::Checker;
use crate::declare::Decls;
use crate::eval::Scope;
use crate::stmt::{Args, Vocabulary, block_stmts};
use crate::types::{Ty, enum_of};
use crate::value::Value;

const STRATEGIES: &[&str] = &["canary", "blue_green"];

/// The statements of a `rollout` block.
pub(crate) const RV: Vocabulary = Vocabulary {
    context: "a rollout",
    heads: &["step", "analysis", "traffic", "gateway"],
};

/// The statements of an `analysis` block.
pub(crate) const AV: Vocabulary = Vocabulary {
    context: "an analysis",
    heads: &[
        "prometheus",
        "error_rate",
        "latency",
        "interval",
        "failures",
    ],
};

/// How often an analysis measures when the program does not say.
const DEFAULT_INTERVAL: Duration = Duration { seconds: 60 };

impl Checker<'_> {
    /// Every `rollout` statement of a service, once its deployment and
    /// metrics are known.
    pub(super) fn rollouts(
        &mut self,
        stmts: &[&Stmt],
        s: &Service,
        scope: &Scope,
        decls: &Decls,
    ) -> Vec<Rollout> {
        let mut out: Vec<Rollout> = Vec::new();
        for st in stmts {
            let Some(r) = self.rollout(st, s, scope, decls) else {
                continue;
            };
            for env in &r.envs {
                if let Some(first) = out.iter().find(|o| o.covers(*env)) {
                    let name = &decls.environments[env.0 as usize].name;
                    self.diags.push(
                        Diagnostic::new(
                            code::CONFLICTING_STATEMENTS,
                            r.span,
                            format!("`{name}` is given two rollout strategies"),
                        )
                        .label("second strategy")
                        .secondary(first.span, "first given here")
                        .help("name each environment in one `rollout` statement"),
                    );
                }
            }
            if let DeployMethod::Kubectl { .. } = s.method {
                self.diags.push(
                    Diagnostic::new(
                        code::ROLLOUT_TARGET,
                        r.span,
                        format!(
                            "`{}` rolls out with Argo Rollouts, but is deployed `via kubectl`",
                            s.name
                        ),
                    )
                    .label("a Rollout in place of the Deployment")
                    .secondary(
                        s.deploy_span,
                        "the GitHub Actions and GitLab CI deploy jobs wait with `kubectl rollout status deployment/…`",
                    )
                    .help("deploy it `via argocd`, which follows a Rollout's steps and analysis"),
                );
                continue;
            }
            out.push(r);
        }
        out
    }

    fn rollout(&mut self, st: &Stmt, s: &Service, scope: &Scope, decls: &Decls) -> Option<Rollout> {
        let g = st.generic()?;
        let shape = "rollout canary|blue_green [in [ENVIRONMENTS]] { … }";
        let mut args = Args::new(st, g, shape);
        let Some(first) = args.next() else {
            self.shape(&args);
            return None;
        };
        self.finish(&args);
        let (kind, envs_expr) = match &first.kind {
            ExprKind::Binary {
                op: BinaryOp::In,
                lhs,
                rhs,
            } => (lhs.as_ref(), Some(rhs.as_ref())),
            _ => (first, None),
        };
        let strategy = match kind.as_ident() {
            Some(k) if STRATEGIES.contains(&k) => k,
            _ => {
                let written = kind
                    .as_ident()
                    .unwrap_or_else(|| self.sources.slice(kind.span));
                let written = written.to_string();
                self.unknown_variant(
                    kind.span,
                    &written,
                    &STRATEGIES.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                );
                return None;
            }
        };
        let envs = match envs_expr {
            Some(e) => self.rollout_envs(e, s, scope, decls)?,
            None => s.deploy.clone(),
        };
        let mut traffic = Traffic::Replicas;
        let mut traffic_span = None;
        let mut gateway: Option<(GatewayRef, Span)> = None;
        let mut gateway_written = false;
        let mut traffic_failed = false;
        let mut steps = Vec::new();
        let mut step_spans = Vec::new();
        let mut analysis = None;
        let mut seen = Vec::new();
        for b in block_stmts(&g.block) {
            let Some(bg) = b.generic() else {
                self.unknown_statement(b, &RV);
                continue;
            };
            match bg.head.name.as_str() {
                "step" if strategy == "canary" => {
                    if let Some(step) = self.canary_step(b, scope) {
                        steps.push(step);
                        step_spans.push(b.signature_span());
                    }
                }
                "analysis" => {
                    if self.once(&mut seen, "analysis", bg.head.span) {
                        analysis = self.analysis(b, s.metrics.as_ref(), scope);
                    }
                }
                "traffic" if strategy == "canary" => {
                    if self.once(&mut seen, "traffic", bg.head.span) {
                        match self.traffic(b, s, scope) {
                            Some(t) => {
                                traffic = t;
                                traffic_span = Some(b.signature_span());
                            }
                            None => traffic_failed = true,
                        }
                    }
                }
                "gateway" if strategy == "canary" => {
                    if self.once(&mut seen, "gateway", bg.head.span) {
                        gateway_written = true;
                        gateway = self.gateway(b, scope).map(|g| (g, b.signature_span()));
                    }
                }
                "step" | "traffic" | "gateway" => {
                    self.diags.push(
                        Diagnostic::new(
                            code::CONFLICTING_STATEMENTS,
                            bg.head.span,
                            format!("a blue-green rollout has no `{}`", bg.head.name),
                        )
                        .label("belongs to a canary")
                        .help("the new version takes over all at once; write `rollout canary` for steps"),
                    );
                }
                _ => self.unknown_statement(b, &RV),
            }
        }
        let strategy = if strategy == "canary" {
            if !self.weights_rise_to_all(&steps, &step_spans, st.signature_span()) {
                return None;
            }
            if (gateway_written && gateway.is_none()) || traffic_failed {
                // The Gateway or the routing was reported.
                return None;
            }
            let gateway = self.gateway_of(traffic, traffic_span, gateway, st)?;
            Strategy::Canary {
                steps,
                traffic,
                gateway,
            }
        } else {
            Strategy::BlueGreen
        };
        Some(Rollout {
            envs,
            strategy,
            analysis,
            span: st.signature_span(),
        })
    }

    /// `gateway "[NAMESPACE/]NAME"`: the Gateway a canary's HTTPRoute
    /// attaches to.
    fn gateway(&mut self, st: &Stmt, scope: &Scope) -> Option<GatewayRef> {
        let e = self.single(st, "gateway \"[NAMESPACE/]NAME\"")?;
        let v = self.eval(e, &Ty::String, scope)?.as_literal()?;
        let (namespace, name) = match v.split_once('/') {
            Some((ns, name)) => (Some(ns), name),
            None => (None, v.as_str()),
        };
        let valid = namespace.is_none_or(crate::lower::is_dns_label)
            && crate::lower::service::pod::is_dns_subdomain(name);
        if !valid {
            self.diags.push(
                Diagnostic::new(
                    code::INVALID_NAME,
                    e.span,
                    format!("`{v}` does not name a Gateway"),
                )
                .label("not NAMESPACE/NAME")
                .help("the Gateway's name, after its namespace and `/` when it is not the environment's: gateway \"infra/public\""),
            );
            return None;
        }
        Some(GatewayRef {
            namespace: namespace.map(String::from),
            name: name.to_string(),
        })
    }

    /// The Gateway of a canary: given exactly when `traffic gateway` is.
    fn gateway_of(
        &mut self,
        traffic: Traffic,
        traffic_span: Option<Span>,
        gateway: Option<(GatewayRef, Span)>,
        st: &Stmt,
    ) -> Option<Option<GatewayRef>> {
        match (traffic == Traffic::Gateway, gateway) {
            (true, Some((g, _))) => Some(Some(g)),
            (false, None) => Some(None),
            (true, None) => {
                self.diags.push(
                    Diagnostic::new(
                        code::MISSING_STATEMENT,
                        traffic_span.unwrap_or(st.signature_span()),
                        "a canary routed by a Gateway names the Gateway",
                    )
                    .label("`traffic gateway` without `gateway`")
                    .help("add the Gateway its HTTPRoute attaches to: gateway \"infra/public\""),
                );
                None
            }
            (false, Some((_, span))) => {
                let mut d = Diagnostic::new(
                    code::CONFLICTING_STATEMENTS,
                    span,
                    "a Gateway for a canary that no Gateway routes",
                )
                .label("no `traffic gateway`")
                .help("add `traffic gateway`, or remove `gateway`");
                if let Some(t) = traffic_span {
                    d = d.secondary(t, "routed this way");
                }
                self.diags.push(d);
                None
            }
        }
    }

    /// `traffic replicas|nginx|istio|gateway`: nginx needs the service's
    /// Ingress of class nginx to route; a Gateway needs its host; Istio
    /// routes the requests to the service's name in the mesh.
    fn traffic(&mut self, st: &Stmt, s: &Service, scope: &Scope) -> Option<Traffic> {
        let e = self.single(st, "traffic replicas|nginx|istio|gateway")?;
        let Value::Enum(name) = self.eval(e, &enum_of(&Traffic::ALL), scope)? else {
            return None;
        };
        let t = Traffic::ALL.iter().find(|(n, _)| *n == name)?.1;
        let class = s
            .ingress
            .as_ref()
            .map(|i| i.class.as_deref().unwrap_or("nginx"));
        if t == Traffic::Gateway && s.ingress.is_none() {
            self.diags.push(
                Diagnostic::new(
                    code::ROLLOUT_TARGET,
                    e.span,
                    format!("`{}` has no ingress host for a Gateway to route", s.name),
                )
                .label("needs the service's `ingress`")
                .help("add ingress { host \"…\" }: its HTTPRoute answers for that host and path"),
            );
            return None;
        }
        if t == Traffic::Nginx && class != Some("nginx") {
            let (msg, label) = match class {
                None => (
                    format!("`{}` has no ingress for NGINX to route", s.name),
                    "needs the service's `ingress`".to_string(),
                ),
                Some(c) => (
                    format!("`{}`'s ingress is served by `{c}`, not NGINX", s.name),
                    format!("ingress class `{c}`"),
                ),
            };
            self.diags.push(
                Diagnostic::new(code::ROLLOUT_TARGET, e.span, msg)
                .label(label)
                .help("add ingress { host \"…\", class \"nginx\" }, or shift the pods: traffic replicas"),
            );
            return None;
        }
        Some(t)
    }

    /// `in [prod]`: environments the service is deployed to.
    fn rollout_envs(
        &mut self,
        e: &Expr,
        s: &Service,
        scope: &Scope,
        decls: &Decls,
    ) -> Option<Vec<EnvId>> {
        let list = self.eval(e, &Ty::List(Box::new(Ty::Environment)), scope)?;
        let mut envs = Vec::new();
        for v in list.into_list() {
            let Value::Ref(name, span) = v else { continue };
            let Some(i) = decls.environments.iter().position(|d| d.name == name) else {
                continue;
            };
            let id = EnvId(i as u32);
            if !s.deploy.contains(&id) {
                self.diags.push(
                    Diagnostic::new(
                        code::CONFLICTING_STATEMENTS,
                        span,
                        format!("`{}` is not deployed to `{name}`", s.name),
                    )
                    .label("not in `deploy to`")
                    .secondary(s.deploy_span, "the environments it is deployed to")
                    .help(format!(
                        "add `{name}` to `deploy to [...]`, or roll out elsewhere"
                    )),
                );
                continue;
            }
            if !envs.contains(&id) {
                envs.push(id);
            }
        }
        Some(envs)
    }

    /// `step 10% [pause 5m]`
    fn canary_step(&mut self, st: &Stmt, scope: &Scope) -> Option<CanaryStep> {
        let g = st.generic()?;
        let mut args = Args::new(st, g, "step PERCENT [pause DURATION]");
        let Some(w) = args.next() else {
            self.shape(&args);
            return None;
        };
        let weight = match self.eval(w, &Ty::Percent, scope)? {
            Value::Percent(p) => p,
            _ => return None,
        };
        let mut pause = None;
        if args.word("pause") {
            let Some(d) = args.next() else {
                self.shape(&args);
                return None;
            };
            match self.eval(d, &Ty::Duration, scope)? {
                Value::Duration(d) if d.seconds > 0 => pause = Some(d),
                _ => {
                    self.out_of_range(d.span, "a duration of 1s or more");
                    return None;
                }
            }
        }
        self.finish(&args);
        self.no_block(g, "step PERCENT [pause DURATION]");
        Some(CanaryStep { weight, pause })
    }

    /// Canary weights are whole percents that rise, step by step, to 100%.
    fn weights_rise_to_all(&mut self, steps: &[CanaryStep], spans: &[Span], whole: Span) -> bool {
        let weights = || {
            steps
                .iter()
                .map(|s| format!("{}%", s.weight))
                .collect::<Vec<_>>()
                .join(" → ")
        };
        let mut ok = true;
        for (i, s) in steps.iter().enumerate() {
            let h = s.weight.hundredths;
            if h == 0 || h > 10_000 || h % 100 != 0 {
                self.diags.push(
                    Diagnostic::new(
                        code::CANARY_WEIGHTS,
                        spans[i],
                        format!(
                            "a canary weight of {}% is not a whole percent from 1% to 100%",
                            s.weight
                        ),
                    )
                    .label("weight out of range")
                    .help("weights are whole percents: step 10% pause 5m"),
                );
                ok = false;
            } else if i > 0 && h <= steps[i - 1].weight.hundredths {
                self.diags.push(
                    Diagnostic::new(
                        code::CANARY_WEIGHTS,
                        spans[i],
                        format!("canary weights must increase: {}", weights()),
                    )
                    .label(format!(
                        "not more than the step before ({}%)",
                        steps[i - 1].weight
                    ))
                    .secondary(spans[i - 1], "the step before")
                    .help("each step gives the new version a larger share: 10% → 30% → 60% → 100%"),
                );
                ok = false;
            }
        }
        if !ok {
            return false;
        }
        match steps.last() {
            None => {
                self.diags.push(
                    Diagnostic::new(code::CANARY_WEIGHTS, whole, "a canary without steps")
                        .label("needs `step` statements")
                        .help("rollout canary { step 10% pause 5m; step 50% pause 5m; step 100% }"),
                );
                false
            }
            Some(last) if last.weight != Percent::whole(100) => {
                self.diags.push(
                    Diagnostic::new(
                        code::CANARY_WEIGHTS,
                        spans[spans.len() - 1],
                        format!(
                            "the last canary step gives the new version {}%, not 100%",
                            last.weight
                        ),
                    )
                    .label("the rollout would stop here")
                    .help("end with `step 100%`"),
                );
                false
            }
            Some(_) => true,
        }
    }

    /// `analysis { prometheus "URL", error_rate max 1% [by LABEL],
    /// latency p95 max 500ms, interval 1m, failures 2 }`
    fn analysis(
        &mut self,
        st: &Stmt,
        metrics: Option<&Metrics>,
        scope: &Scope,
    ) -> Option<Analysis> {
        let g = st.generic()?;
        let Some(metrics) = metrics else {
            self.diags.push(
                Diagnostic::new(
                    code::UNKNOWN_METRIC,
                    st.signature_span(),
                    "the analysis queries metrics the service does not expose",
                )
                .label("no `metrics` in this service")
                .help("say where Prometheus scrapes it: metrics \"/metrics\""),
            );
            return None;
        };
        let mut a = Analysis {
            prometheus: String::new(),
            error_rate: None,
            latency: None,
            interval: DEFAULT_INTERVAL,
            failure_limit: 1,
            span: st.signature_span(),
        };
        let mut seen = Vec::new();
        let mut failed = false;
        for (b, bg) in self.known_statements(&g.block, &AV) {
            let head = bg.head.name.as_str();
            if !self.once(&mut seen, head, bg.head.span) {
                continue;
            }
            match head {
                "prometheus" => {
                    match self.single(b, "prometheus \"URL\"").and_then(|e| {
                        self.literal_text(e, &Ty::Url, scope, "the Prometheus address")
                    }) {
                        Some(url) => a.prometheus = url,
                        None => failed = true,
                    }
                }
                "error_rate" => {
                    let shape = "error_rate max PERCENT [by LABEL]";
                    let mut args = Args::new(b, bg, shape);
                    match self.error_rate(&mut args, metrics) {
                        Some(e) if self.finish(&args) => a.error_rate = Some(e),
                        _ => failed = true,
                    }
                    self.no_block(bg, shape);
                }
                "latency" => {
                    let shape = "latency pNN max DURATION";
                    let mut args = Args::new(b, bg, shape);
                    match self.latency(&mut args) {
                        Some(l) if self.finish(&args) => a.latency = Some(l),
                        _ => failed = true,
                    }
                    self.no_block(bg, shape);
                }
                "interval" => {
                    match self
                        .single(b, "interval DURATION")
                        .and_then(|e| Some((e, self.eval(e, &Ty::Duration, scope)?)))
                    {
                        Some((_, Value::Duration(d))) if d.seconds >= 10 => a.interval = d,
                        Some((e, _)) => self.out_of_range(e.span, "a duration of 10s or more"),
                        None => failed = true,
                    }
                }
                _ => {
                    if let Some(e) = self.single(b, "failures N")
                        && let Some(Value::Int(n)) = self.eval(e, &Ty::Int, scope)
                    {
                        a.failure_limit = self.count(n, 0, 100, e.span).unwrap_or(1);
                    }
                }
            }
        }
        if failed {
            return None;
        }
        if a.prometheus.is_empty() {
            self.diags.push(
                Diagnostic::new(
                    code::MISSING_STATEMENT,
                    a.span,
                    "the analysis names no Prometheus",
                )
                .label("needs `prometheus \"URL\"`")
                .help("prometheus \"http://prometheus-operated.monitoring.svc:9090\""),
            );
            return None;
        }
        if a.error_rate.is_none() && a.latency.is_none() {
            self.diags.push(
                Diagnostic::new(
                    code::ANALYSIS_WITHOUT_MEASUREMENT,
                    a.span,
                    "the analysis measures nothing",
                )
                .label("needs `error_rate` or `latency`")
                .help("error_rate max 1%, latency p95 max 500ms"),
            );
            return None;
        }
        Some(a)
    }
}

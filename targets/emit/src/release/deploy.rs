//! Deployments. A deployment ships one *version* — the commit the job runs
//! for, with the image that commit was published as — to one environment:
//!
//! - via Argo CD it writes the environment's tree in the GitOps repository
//!   (`layout::environment_dir`): the service's `base/` and the
//!   environment's overlay, copied from the commit being deployed, with the
//!   image tag and digest set, and a `deployed.env` saying what runs there.
//!   It commits that with `[skip ci]` to the branch the environment's
//!   Applications follow (starting the branch if the repository has none),
//!   asks Argo CD to refresh (automatic sync) or to sync (manual sync: the
//!   approval in CI was the decision) and waits until every Application is
//!   Synced to that commit and Healthy;
//! - via kubectl it applies the environment's overlay of the commit it ships,
//!   with the image tag and digest set (after a server-side dry run), and
//!   waits for the rollout.
//!
//! A deployment of a stable release to production then moves `latest`. A
//! deployment started by hand (`PIPEC_EVENT=dispatch`: promote or roll back)
//! ships the ref it was started on, if the environment accepts it; one
//! started by a push never replaces a later commit the environment already
//! runs.

use pipec_graph::{
    Cond, Deploy, DeployMethod, Environment, Glob, Job, Program, Publish, TagKind, Tier,
};

use super::{
    commit_tags_function, cond_to_shell, helpers_for, image_ref, latest_moves_on_deploy,
    release_function, release_patterns, sh_quote, version_of,
};
use crate::layout;

/// The refs a deployment to `job`'s environment may be started on by hand:
/// the refs its own condition allows (events aside), and the releases of
/// the pipelines whose images it ships. Another pipeline's release tag names
/// a version of that pipeline's images, not of these (`v1.2.0` of one
/// pipeline would ship another's `1.2.0`), and listing every pipeline's
/// made every deployment's guard grow with the number of pipelines. A
/// pipeline without `on tag` triggers has no releases of its own: it accepts
/// every pipeline's, as `release` in its environments' conditions does (it
/// ships the image of the tag's commit).
pub fn dispatchable(program: &Program, job: &Job, d: &Deploy) -> Cond {
    let own = refs_only(&job.when);
    let mut tags: Vec<Glob> = Vec::new();
    for p in publishes(program, d) {
        for g in release_patterns(program, p) {
            if !tags.contains(&g) {
                tags.push(g);
            }
        }
    }
    if tags.is_empty() {
        tags = program.release_patterns().to_vec();
    }
    tags.sort();
    let releases = Cond::Tag(tags);
    if own == releases || releases == Cond::Tag(Vec::new()) {
        own
    } else {
        own.or(releases)
    }
}

/// A condition with its event tests dropped: what it says about refs.
fn refs_only(c: &Cond) -> Cond {
    match c {
        Cond::Event(_) | Cond::Input { .. } => Cond::Always,
        Cond::Not(inner) => match refs_only(inner) {
            Cond::Always => Cond::Always,
            other => Cond::Not(Box::new(other)),
        },
        Cond::All(cs) => cs.iter().map(refs_only).fold(Cond::Always, Cond::and),
        Cond::Any(cs) => cs.iter().map(refs_only).fold(Cond::Never, Cond::or),
        c => c.clone(),
    }
}

/// The publish rules a deployment ships, each once.
fn publishes<'a>(program: &'a Program, d: &Deploy) -> Vec<&'a Publish> {
    let mut out: Vec<&Publish> = Vec::new();
    for (_, p) in &d.services {
        let p = program.publish(*p);
        if !out.iter().any(|o| o.id == p.id) {
            out.push(p);
        }
    }
    out
}

/// The script of a deployment job. With `latest`, a production deployment
/// also moves `latest` (a target whose deployment jobs have no Docker moves it
/// in a job of its own, with [`latest_script`]).
pub fn deploy_script(program: &Program, job: &Job, d: &Deploy, latest: bool) -> String {
    let env = program.environment(d.env);
    let shipped = publishes(program, d);
    let mut functions = String::new();
    for p in &shipped {
        functions.push_str(&version_of(program, p));
        functions.push_str(&commit_tags_function(p));
        functions.push_str(&release_function(p));
    }
    if d.method == DeployMethod::ArgoCd
        && let Some(g) = program.gitops.as_ref().filter(|g| g.argocd.is_some())
    {
        let charts = d
            .services
            .iter()
            .any(|(id, _)| program.service(*id).helm.is_some());
        functions.push_str(&argocd_functions(g.wait.to_string(), charts));
    }
    let mut body = String::new();
    body.push_str(&dispatch_guard(program, job, d, env));
    for p in &shipped {
        body.push_str(&resolve(p));
    }
    match &d.method {
        DeployMethod::ArgoCd => gitops(program, d, env, &mut body),
        DeployMethod::Kubectl { .. } => kubectl(program, d, env, &mut body),
    }
    if latest && env.tier == Tier::Production {
        for p in &shipped {
            body.push_str(&move_latest(program, p));
        }
    }
    // Helpers are looked up in the whole script: the body calls some too.
    let helpers = helpers_for(&format!("{functions}{body}"));
    format!("set -eu\n{helpers}{functions}{body}")
}

/// A deployment started by hand ships the ref it was started on: refuse a ref
/// the environment does not accept.
fn dispatch_guard(program: &Program, job: &Job, d: &Deploy, env: &Environment) -> String {
    let accepted = dispatchable(program, job, d);
    if accepted == Cond::Always {
        return String::new();
    }
    format!(
        "if [ \"${{PIPEC_EVENT:-}}\" = dispatch ] && ! {}; then\n  echo \"pipec: {} does not deploy $PIPEC_REF_TYPE $PIPEC_REF_NAME: start the deployment on a ref it accepts\" >&2\n  exit 1\nfi\n",
        cond_to_shell(&accepted),
        env.name
    )
}

/// `tag_N` and `digest_N` of the version shipped: handed over by the publish
/// job of this run, or found in the registry.
fn resolve(p: &Publish) -> String {
    let id = p.id.0;
    format!(
        "if [ -n \"${{PIPEC_RELEASE_{id}:-}}\" ]; then\n  tag_{id}=\"${{PIPEC_RELEASE_{id}%@*}}\"\n  digest_{id}=\"${{PIPEC_RELEASE_{id}#*@}}\"\nelse\n  release_{id}=\"$(pipec_release_{id})\"\n  tag_{id}=\"${{release_{id}% *}}\"\n  digest_{id}=\"${{release_{id}#* }}\"\nfi\necho \"pipec: deploying \"{image}\":$tag_{id}@$digest_{id}\"\n",
        image = image_ref(p),
    )
}

fn gitops(program: &Program, d: &Deploy, env: &Environment, s: &mut String) {
    let Some(g) = program.gitops.as_ref() else {
        // The checker requires a GitOps repository for Argo CD deployments.
        s.push_str("echo 'pipec: no GitOps repository' >&2\nexit 1\n");
        return;
    };
    let branch = sh_quote(g.branch_of(env));
    // The commit and a rebase after a refused push both need an identity; the
    // environment sets it for this script only, whatever the runner's config.
    s.push_str(
        "export GIT_AUTHOR_NAME=pipec GIT_AUTHOR_EMAIL=pipec@users.noreply.localhost\n\
         export GIT_COMMITTER_NAME=pipec GIT_COMMITTER_EMAIL=pipec@users.noreply.localhost\n\
         src=\"$PWD\"\nstage=\"$(mktemp -d)\"\n",
    );
    // The service trees of the commit being deployed, set aside before the
    // checkout may switch to the GitOps branch.
    for (i, (service, _)) in d.services.iter().enumerate() {
        let svc = program.service(*service);
        if svc.helm.is_some() {
            let values = layout::values_file(program, svc, env);
            s.push_str(&format!(
                "[ -f {q} ] || {{ echo \"pipec: {values} is not in commit $PIPEC_SHA: commit what pipec build writes\" >&2; exit 1; }}\nmkdir -p \"$stage/{i}\"\ncp {q} \"$stage/{i}/values.yaml\"\n",
                q = sh_quote(&values)
            ));
            continue;
        }
        let base = layout::base_dir(program, svc);
        let overlay = layout::overlay_dir(program, svc, env);
        for dir in [&base, &overlay] {
            s.push_str(&format!(
                "[ -d {q} ] || {{ echo \"pipec: {dir} is not in commit $PIPEC_SHA: commit what pipec build writes\" >&2; exit 1; }}\n",
                q = sh_quote(dir)
            ));
        }
        s.push_str(&format!(
            "mkdir -p \"$stage/{i}\"\ncp -R {} \"$stage/{i}/base\"\ncp -R {} \"$stage/{i}/overlay\"\n",
            sh_quote(&base),
            sh_quote(&overlay)
        ));
    }
    if g.same_repository() {
        // The repository the pipeline runs in, checked out with push rights
        // and the whole history.
        s.push_str(&format!(
            "if git ls-remote --exit-code --heads origin {branch} >/dev/null; then\n  git fetch --quiet origin {branch}\n  git checkout --quiet -B pipec-deploy FETCH_HEAD\nelse\n  rc=$?\n  [ \"$rc\" -eq 2 ] || exit \"$rc\"\n  echo \"pipec: this repository has no branch \"{branch}\" yet: this deployment starts it\"\n  git checkout --quiet --orphan pipec-deploy\n  git rm -r --quiet --cached --ignore-unmatch .\nfi\n"
        ));
    } else {
        s.push_str(&format!(
            "work=\"$(mktemp -d)\"\ngit init --quiet --initial-branch=pipec-deploy \"$work\"\ncd \"$work\"\n\
             git config http.extraHeader \"Authorization: Basic $(printf 'pipec:%s' \"$PIPEC_GITOPS_TOKEN\" | base64 | tr -d '\\n')\"\n\
             git remote add origin {repo}\n\
             if git ls-remote --exit-code --heads origin {branch} >/dev/null; then\n  git fetch --quiet --depth 1 origin {branch}\n  git checkout --quiet -B pipec-deploy FETCH_HEAD\nelse\n  rc=$?\n  [ \"$rc\" -eq 2 ] || exit \"$rc\"\n  echo \"pipec: \"{repo}\" has no branch \"{branch}\" yet: this deployment starts it\"\nfi\n",
            repo = sh_quote(&g.repo),
        ));
    }
    let trees: Vec<String> = d
        .services
        .iter()
        .map(|(service, _)| layout::environment_dir(program, program.service(*service), env))
        .collect();
    // A push run never replaces a later commit: runs of two pushes can reach
    // their deployments in either order.
    if let Some(first) = trees.first() {
        let state = sh_quote(&format!("{first}/{}", layout::DEPLOYED_FILE));
        s.push_str(&format!(
            "if [ \"${{PIPEC_EVENT:-}}\" = push ] && [ -f {state} ]; then\n  running=\"$(sed -n 's/^commit=//p' {state})\"\n  if [ -n \"$running\" ] && [ \"$running\" != \"$PIPEC_SHA\" ] && git -C \"$src\" merge-base --is-ancestor \"$PIPEC_SHA\" \"$running\" 2>/dev/null; then\n    echo \"pipec: {env} runs $running, a later commit than $PIPEC_SHA: nothing to deploy\"\n    exit 0\n  fi\nfi\n",
            env = env.name
        ));
    }
    let mut summary = Vec::new();
    for (i, ((service, publish), tree)) in d.services.iter().zip(&trees).enumerate() {
        let svc = program.service(*service);
        let p = publish.0;
        let q = sh_quote(tree);
        let state = sh_quote(&format!("{tree}/{}", layout::DEPLOYED_FILE));
        summary.push(format!("{} ${{tag_{p}}}", layout::k8s_name(svc)));
        if svc.helm.is_some() {
            let values = sh_quote(&layout::environment_values(program, svc, env));
            s.push_str(&format!(
                "rm -rf {q}\nmkdir -p {q}\ncp \"$stage/{i}/values.yaml\" {values}\n\
                 pipec_set_values_image {values} \"$tag_{p}\" \"$digest_{p}\"\n\
                 printf 'commit=%s\\nversion=%s\\ndigest=%s\\n' \"$PIPEC_SHA\" \"$tag_{p}\" \"$digest_{p}\" > {state}\n",
            ));
            continue;
        }
        let overlay = sh_quote(&format!("{tree}/overlays/{}", layout::env_name(env)));
        s.push_str(&format!(
            "rm -rf {q}\nmkdir -p {q}/overlays\ncp -R \"$stage/{i}/base\" {q}/base\ncp -R \"$stage/{i}/overlay\" {overlay}\n\
             pipec_set_image {overlay}/kustomization.yaml \"$tag_{p}\" \"$digest_{p}\"\n\
             printf 'commit=%s\\nversion=%s\\ndigest=%s\\n' \"$PIPEC_SHA\" \"$tag_{p}\" \"$digest_{p}\" > {state}\n",
        ));
    }
    let quoted: Vec<String> = trees.iter().map(|t| sh_quote(t)).collect();
    s.push_str(&format!(
        "git add -A -- {trees}\n\
         if git diff --cached --quiet; then\n  echo 'pipec: {env} already runs this'\nelse\n\
         \x20 git commit --quiet -m \"chore(deploy): {summary} to {env} [skip ci]\" -m \"Deploys commit $PIPEC_SHA.\"\n\
         \x20 pushed=''\n  for _ in 1 2 3; do\n    if git push --quiet origin HEAD:{branch}; then pushed=yes; break; fi\n    git pull --quiet --rebase origin {branch}\n  done\n\
         \x20 [ -n \"$pushed\" ] || {{ echo 'pipec: could not push the deployment commit' >&2; exit 1; }}\nfi\n",
        trees = quoted.join(" "),
        summary = summary.join(", "),
        env = env.name,
    ));
    wait_for_argocd(program, d, env, &trees, s);
}

/// Refresh or sync each Application, then wait until it is Synced to the
/// deployment commit (or a later one with the same tree) and Healthy.
fn wait_for_argocd(
    program: &Program,
    d: &Deploy,
    env: &Environment,
    trees: &[String],
    s: &mut String,
) {
    let Some(g) = program.gitops.as_ref() else {
        return;
    };
    let apps: Vec<String> = d
        .services
        .iter()
        .map(|(service, _)| layout::application_name(program.service(*service), env))
        .collect();
    if g.argocd.is_none() {
        s.push_str(&format!(
            "echo 'pipec: the commit is pushed; no access to Argo CD is declared, so nothing waits for {} to sync'\n",
            apps.join(", ")
        ));
        return;
    }
    let how = if env.sync.automated {
        "refresh"
    } else {
        "sync"
    };
    s.push_str(&format!(
        "KUBECONFIG=\"$(mktemp)\"\nexport KUBECONFIG\nprintf '%s\\n' \"$PIPEC_ARGOCD_KUBECONFIG\" > \"$KUBECONFIG\"\nchmod 600 \"$KUBECONFIG\"\n\
         revision=\"$(git rev-parse HEAD)\"\ndeadline=$(( $(date +%s) + {secs} ))\n",
        secs = g.wait.seconds
    ));
    for (app, (service, _)) in apps.iter().zip(&d.services) {
        match &program.service(*service).helm {
            // A sync names the revision of each source: the deployment's
            // commit for the values, the pinned version for the chart.
            Some(h) if how == "sync" => s.push_str(&format!(
                "pipec_argocd_sync_chart {} \"$revision\" {}\n",
                sh_quote(app),
                sh_quote(&h.version)
            )),
            _ => s.push_str(&format!(
                "pipec_argocd_{how} {} \"$revision\"\n",
                sh_quote(app)
            )),
        }
    }
    for (app, tree) in apps.iter().zip(trees) {
        s.push_str(&format!(
            "pipec_argocd_wait {} \"$revision\" {} \"$deadline\"\n",
            sh_quote(app),
            sh_quote(tree)
        ));
    }
}

/// The functions that talk to Argo CD through its Application resources.
/// With `charts`, some of the Applications have two sources (a Helm chart
/// and its values): the commit they are synced to is then the first of
/// their revisions, and a sync names each source's revision.
fn argocd_functions(wait: String, charts: bool) -> String {
    let ns = sh_quote(layout::ARGOCD_NAMESPACE);
    let (revision, sync_chart) = if charts {
        (
            "{.status.sync.revision}{.status.sync.revisions[0]}",
            format!(
                "pipec_argocd_sync_chart() {{\n  kubectl --namespace {ns} patch application \"$1\" --type merge --patch \"{{\\\"operation\\\":{{\\\"initiatedBy\\\":{{\\\"username\\\":\\\"pipec\\\"}},\\\"sync\\\":{{\\\"revisions\\\":[\\\"$2\\\",\\\"$3\\\"],\\\"prune\\\":true}}}}}}\" >/dev/null\n}}\n"
            ),
        )
    } else {
        ("{.status.sync.revision}", String::new())
    };
    format!(
        "pipec_argocd_refresh() {{\n  kubectl --namespace {ns} annotate application \"$1\" argocd.argoproj.io/refresh=normal --overwrite >/dev/null\n}}\n\
         pipec_argocd_sync() {{\n  kubectl --namespace {ns} patch application \"$1\" --type merge --patch \"{{\\\"operation\\\":{{\\\"initiatedBy\\\":{{\\\"username\\\":\\\"pipec\\\"}},\\\"sync\\\":{{\\\"revision\\\":\\\"$2\\\",\\\"prune\\\":true}}}}}}\" >/dev/null\n}}\n\
         {sync_chart}\
         pipec_argocd_wait() {{\n  seen=''\n  while :; do\n\
         \x20   state=\"$(kubectl --namespace {ns} get application \"$1\" --output jsonpath='{revision}|{{.status.sync.status}}|{{.status.health.status}}')\"\n\
         \x20   at=\"${{state%%|*}}\"\n    rest=\"${{state#*|}}\"\n    sync=\"${{rest%%|*}}\"\n    health=\"${{rest#*|}}\"\n\
         \x20   if [ -n \"$at\" ] && [ \"$at\" != \"$2\" ] && [ \"$at\" != \"$seen\" ]; then\n      seen=\"$at\"\n      git fetch --quiet --depth 1 origin \"$at\" 2>/dev/null || true\n    fi\n\
         \x20   # Synced to this commit, or to a later one whose tree for this environment is the same.\n\
         \x20   if [ \"$at\" = \"$2\" ] || {{ [ -n \"$at\" ] && [ \"$(git rev-parse --quiet --verify \"$at:$3\" 2>/dev/null)\" = \"$(git rev-parse \"$2:$3\")\" ]; }}; then\n\
         \x20     case \"$sync/$health\" in\n        Synced/Healthy) echo \"pipec: $1 is Synced and Healthy at $at\"; return 0 ;;\n        */Degraded) echo \"pipec: $1 is Degraded at $at: roll back by deploying the previous version\" >&2; return 1 ;;\n      esac\n    fi\n\
         \x20   if [ \"$(date +%s)\" -ge \"$4\" ]; then\n      echo \"pipec: $1 is $sync and $health at ${{at:-no revision}}, not Synced and Healthy at $2 after {wait}\" >&2\n      return 1\n    fi\n    sleep 10\n  done\n}}\n"
    )
}

/// Applies the environment's overlays of the deployed services from the
/// commit being deployed, with the image tag and digest set: a server-side
/// dry run of every overlay first, so that nothing is applied when the
/// cluster would refuse any of them, then the apply, then each Deployment's
/// rollout (a CronJob's next run takes the new image).
fn kubectl(program: &Program, d: &Deploy, env: &Environment, s: &mut String) {
    s.push_str("KUBECONFIG=\"$(mktemp)\"\nexport KUBECONFIG\nprintf '%s\\n' \"$PIPEC_KUBECONFIG\" > \"$KUBECONFIG\"\nchmod 600 \"$KUBECONFIG\"\n");
    let mut overlays = Vec::new();
    for (service, publish) in &d.services {
        let dir = sh_quote(&layout::overlay_dir(
            program,
            program.service(*service),
            env,
        ));
        let p = publish.0;
        s.push_str(&format!(
            "pipec_set_image {dir}/kustomization.yaml \"$tag_{p}\" \"$digest_{p}\"\n"
        ));
        if !overlays.contains(&dir) {
            overlays.push(dir);
        }
    }
    for dir in &overlays {
        s.push_str(&format!("kubectl apply --dry-run=server -k {dir}\n"));
    }
    for dir in &overlays {
        s.push_str(&format!("kubectl apply -k {dir}\n"));
    }
    let ns = sh_quote(&env.namespace);
    // A CronJob has nothing to roll out: its next run starts the new image.
    for (service, _) in d
        .services
        .iter()
        .filter(|(id, _)| program.service(*id).is_deployment())
    {
        let name = layout::k8s_name(program.service(*service));
        s.push_str(&format!(
            "kubectl --namespace {ns} rollout status deployment/{name} --timeout=5m\n"
        ));
    }
}

/// In production, once the release runs: `latest` names it, for a stable
/// SemVer release the program tags `latest`.
fn move_latest(program: &Program, p: &Publish) -> String {
    if !latest_moves_on_deploy(program, p) {
        return String::new();
    }
    let id = p.id.0;
    let image = image_ref(p);
    let mut out = String::new();
    for rule in p.tags.iter().filter(|t| t.kind == TagKind::Latest) {
        out.push_str(&format!(
            "if {} && [ \"$PIPEC_REF_TYPE\" = tag ] && v=$(pipec_version_{id}) && pipec_stable \"$v\"; then\n  pipec_point {image} latest \"$digest_{id}\" moving\n  echo \"pipec: \"{image}\":latest -> $digest_{id}\"\nfi\n",
            cond_to_shell(&rule.when)
        ));
    }
    out
}

/// The script of a job that moves `latest` once production runs the release
/// the publish job (or the resolving job) handed over as `PIPEC_RELEASE_N`.
pub fn latest_script(program: &Program, p: &Publish) -> String {
    let id = p.id.0;
    let body = format!(
        "{}digest_{id}=\"${{PIPEC_RELEASE_{id}#*@}}\"\n{}",
        version_of(program, p),
        move_latest(program, p)
    );
    format!("set -eu\n{}{body}", helpers_for(&body))
}

//! The shell is run for real: tags for each kind of run, the image edit of
//! an overlay, the guard of deployments started by hand. Publishing and
//! deploying end to end are walked in `tests/release_walk.rs`.

use std::path::Path;
use std::process::Command;

use pipec_graph::*;

use super::*;
use crate::header::CI_OWNED;

fn glob(s: &str) -> Glob {
    Glob(s.into())
}

fn program() -> Program {
    let release = Cond::Tag(vec![glob("v*")]);
    let mut p = Program::default();
    p.publishes.push(Publish {
        id: PublishId(0),
        image: ImageId(0),
        span: Span::default(),
        registry: Registry {
            kind: RegistryKind::Ghcr,
            host: "ghcr.io".into(),
            repository: "acme/api".into(),
            username: None,
            password: None,
        },
        when: Cond::Always,
        tags: vec![
            TagRule {
                kind: TagKind::Sha,
                when: Cond::Always,
            },
            TagRule {
                kind: TagKind::Branch,
                when: Cond::Always,
            },
            TagRule {
                kind: TagKind::Semver,
                when: Cond::Always,
            },
            TagRule {
                kind: TagKind::Latest,
                when: release,
            },
        ],
        job: JobId(0),
        layer_cache: true,
    });
    p
}

fn run(script: &str, ref_type: &str, name: &str, dir: Option<&Path>) -> (bool, String) {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(script)
        .env("PIPEC_REF_TYPE", ref_type)
        .env("PIPEC_REF_NAME", name)
        .env("PIPEC_SHA", "0123456789abcdef0123456789abcdef01234567")
        .env(
            "PIPEC_EVENT",
            if ref_type == "tag" { "tag" } else { "push" },
        );
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    let out = cmd.output().expect("sh runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn tags(ref_type: &str, name: &str) -> Vec<String> {
    let script = format!("{}pipec_tags_0", tag_functions(&program()));
    let (ok, out) = run(&script, ref_type, name, None);
    assert!(ok, "{out}");
    out.lines().map(String::from).collect()
}

#[test]
fn tags_for_a_branch_build() {
    assert_eq!(
        tags("branch", "feature/x y"),
        ["sha-0123456 fixed", "feature-x-y moving"]
    );
}

#[test]
fn tags_for_a_release() {
    assert_eq!(
        tags("tag", "v1.4.2"),
        [
            "sha-0123456 fixed",
            "1.4.2 fixed",
            "1.4 moving",
            "1 moving",
            "latest moving"
        ]
    );
    // A pre-release gets only its full version, and never `latest`.
    assert_eq!(
        tags("tag", "v2.0.0-rc.1"),
        ["sha-0123456 fixed", "2.0.0-rc.1 fixed"]
    );
    // A tag that is not SemVer gets no version tags, and no `latest`: `v1.2`
    // and `vfoo` match the release pattern `v*` but are not releases.
    assert_eq!(tags("tag", "v1.2"), ["sha-0123456 fixed"]);
    assert_eq!(tags("tag", "vfoo"), ["sha-0123456 fixed"]);
}

#[test]
fn latest_moves_with_production_when_production_deploys_the_image() {
    let mut p = program();
    with_production(&mut p);
    let script = format!("{}pipec_tags_0", tag_functions(&p));
    let (ok, out) = run(&script, "tag", "v1.4.2", None);
    assert!(ok, "{out}");
    assert!(!out.contains("latest"), "{out}");
    let job = &p.pipelines[0].jobs[0];
    let JobKind::Deploy(d) = &job.kind else {
        unreachable!()
    };
    let deploy = deploy_script(&p, job, d, true);
    assert!(
        deploy.contains("pipec_point 'ghcr.io/acme/api' latest \"$digest_0\" moving"),
        "{deploy}"
    );
}

#[test]
fn a_commit_is_found_under_its_commit_tags() {
    let mut p = program();
    p.publishes[0].tags[0].kind = TagKind::BranchSha;
    p.publishes[0].when = Cond::Branch(vec![glob("main"), glob("release/*")]);
    let script = format!("{}pipec_commit_tags_0", tag_functions(&p));
    // In a release run the branch is unknown: every branch the publish rule
    // names literally is tried.
    let (ok, out) = run(&script, "tag", "v1.0.0", None);
    assert!(ok, "{out}");
    assert_eq!(out.lines().collect::<Vec<_>>(), ["main-0123456"]);
    let (_, out) = run(&script, "branch", "release/1.0", None);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["release-1.0-0123456", "main-0123456"]
    );
}

#[test]
fn conditions_in_shell() {
    let c = Cond::Branch(vec![glob("main"), glob("release/*")]).or(Cond::Tag(vec![glob("v*")]));
    let s = format!("if {}; then echo yes; else echo no; fi", cond_to_shell(&c));
    assert_eq!(run(&s, "branch", "main", None).1.trim(), "yes");
    assert_eq!(run(&s, "branch", "release/1.2", None).1.trim(), "yes");
    assert_eq!(run(&s, "branch", "release/1/2", None).1.trim(), "no");
    assert_eq!(run(&s, "tag", "v1", None).1.trim(), "yes");
    assert_eq!(run(&s, "tag", "x1", None).1.trim(), "no");
}

#[test]
fn the_image_edit_sets_tag_and_digest_once() {
    let tmp = std::env::temp_dir().join(format!("pipec-set-image-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let file = tmp.join("kustomization.yaml");
    std::fs::write(
        &file,
        format!("images:\n  - name: api\n    newName: ghcr.io/acme/api\n    newTag: 'pending'{CI_OWNED}\n"),
    )
    .unwrap();
    let helper = helpers_for("pipec_set_image");
    for digest in ["sha256:aaaa", "sha256:bbbb"] {
        let script = format!("{helper}pipec_set_image kustomization.yaml sha-1 {digest}\n");
        let (ok, out) = run(&script, "branch", "main", Some(&tmp));
        assert!(ok, "{out}");
    }
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        text,
        format!(
            "images:\n  - name: api\n    newName: ghcr.io/acme/api\n    newTag: 'sha-1'{CI_OWNED}\n    digest: 'sha256:bbbb'{CI_OWNED}\n"
        )
    );
    // An overlay without the line CI sets is an error, not a silent no-op.
    std::fs::write(&file, "images: []\n").unwrap();
    let (ok, out) = run(
        &format!("{helper}pipec_set_image kustomization.yaml sha-1 sha256:aaaa\n"),
        "branch",
        "main",
        Some(&tmp),
    );
    assert!(!ok && out.contains("no image tag line"), "{out}");
    let _ = std::fs::remove_dir_all(&tmp);
}

/// Whether the dispatch guard of the first deployment job of `p` accepts a
/// deployment started by hand on `ref_type` `name` (the guard run for real).
fn accepted_by_hand(p: &Program, ref_type: &str, name: &str) -> bool {
    let job = &p.pipelines[0].jobs[0];
    let JobKind::Deploy(d) = &job.kind else {
        unreachable!()
    };
    let script = deploy_script(p, job, d, true);
    let end = script.find("\nfi\n").unwrap() + 4;
    let guard = &script[script
        .find("if [ \"${PIPEC_EVENT:-}\" = dispatch ]")
        .unwrap()..end];
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("{guard}echo accepted"))
        .env("PIPEC_REF_TYPE", ref_type)
        .env("PIPEC_REF_NAME", name)
        .env("PIPEC_EVENT", "dispatch");
    String::from_utf8_lossy(&cmd.output().unwrap().stdout).contains("accepted")
}

#[test]
fn a_deployment_by_hand_ships_only_refs_the_environment_accepts() {
    let mut p = program();
    with_production(&mut p);
    assert!(accepted_by_hand(&p, "tag", "v1.0.0"));
    assert!(!accepted_by_hand(&p, "branch", "main"));
    assert!(!accepted_by_hand(&p, "tag", "nightly"));
}

/// Another pipeline's release carries no version of this pipeline's images:
/// a deployment started by hand accepts its own condition's refs and its own
/// pipeline's releases, however many pipelines the program has.
#[test]
fn a_deployment_by_hand_accepts_its_own_pipelines_releases_only() {
    let mut p = program();
    with_production(&mut p);
    p.pipelines[0].jobs[0].when = Cond::Branch(vec![glob("main")]);
    let mut other = p.pipelines[0].clone();
    other.id = PipelineId(1);
    other.name = "web".into();
    other.jobs.clear();
    other.triggers[0].kind = TriggerKind::Tag {
        patterns: vec![glob("web-v*")],
    };
    p.pipelines.push(other);
    assert!(accepted_by_hand(&p, "branch", "main"));
    assert!(accepted_by_hand(&p, "tag", "v1.2.0"));
    assert!(!accepted_by_hand(&p, "tag", "web-v1.2.0"));
    assert!(!accepted_by_hand(&p, "branch", "develop"));
    let job = &p.pipelines[0].jobs[0];
    let JobKind::Deploy(d) = &job.kind else {
        unreachable!()
    };
    assert!(!deploy_script(&p, job, d, true).contains("web-v"));
}

/// A pipeline without `on tag` triggers has no releases of its own: started
/// by hand, its deployment accepts every pipeline's, as `release` in its
/// environments' conditions does.
#[test]
fn a_pipeline_without_tags_accepts_every_pipelines_releases_by_hand() {
    let mut p = program();
    with_production(&mut p);
    p.pipelines[0].jobs[0].when = Cond::Branch(vec![glob("main")]);
    p.pipelines[0].triggers.clear();
    let mut other = p.pipelines[0].clone();
    other.id = PipelineId(1);
    other.name = "web".into();
    other.jobs.clear();
    other.triggers.push(Trigger {
        kind: TriggerKind::Tag {
            patterns: vec![glob("web-v*")],
        },
        paths: vec![],
        span: Span::default(),
    });
    p.pipelines.push(other);
    assert!(accepted_by_hand(&p, "branch", "main"));
    assert!(accepted_by_hand(&p, "tag", "web-v1.2.0"));
    assert!(!accepted_by_hand(&p, "tag", "v1.2.0"));
}

#[test]
fn gitlab_registry_images_are_named_in_the_pipeline() {
    let mut p = program();
    p.publishes[0].registry = Registry {
        kind: RegistryKind::GitLab,
        host: String::new(),
        repository: String::new(),
        username: None,
        password: None,
    };
    let script = publish_script(
        &p,
        &p.publishes[0],
        Source::Local("\"$CI_REGISTRY_IMAGE/pipec-ci/app:$CI_COMMIT_SHA\""),
    );
    assert!(script.contains("image=\"$CI_REGISTRY_IMAGE\""), "{script}");
    assert_eq!(image_ref(&program().publishes[0]), "'ghcr.io/acme/api'");
}

/// A production environment the image is deployed to, on releases.
fn with_production(p: &mut Program) {
    p.images.push(Image {
        id: ImageId(0),
        name: "api".into(),
        span: Span::default(),
        pipeline: PipelineId(0),
        job: JobId(0),
        dockerfile: Text::lit("Dockerfile"),
        context: Text::lit("."),
        target: None,
        build_args: vec![],
        platforms: vec![],
    });
    p.environments.push(Environment {
        id: EnvId(0),
        name: "prod".into(),
        span: Span::default(),
        file: "deploy.pipe".into(),
        namespace: "api-prod".into(),
        url: None,
        tier: Tier::Production,
        replicas: None,
        resources: None,
        autoscale: None,
        config: vec![],
        approvals: 2,
        approvals_span: None,
        promotion: None,
        trigger: Some(Cond::Tag(vec![glob("v*")])),
        trigger_span: None,
        sync: SyncPolicy {
            automated: false,
            prune: false,
            self_heal: false,
            span: None,
        },
        revision: None,
        revision_span: None,
        notifications: vec![],
    });
    p.services.push(Service {
        id: ServiceId(0),
        name: "api".into(),
        span: Span::default(),
        file: "deploy.pipe".into(),
        image: ImageId(0),
        port: 80,
        metrics: None,
        probes: Probes::default(),
        resources: None,
        replicas: 1,
        autoscale: None,
        min_available: None,
        config: vec![],
        secrets: vec![],
        ingress: None,
        deploy: vec![EnvId(0)],
        deploy_span: Span::default(),
        method: DeployMethod::Kubectl {
            kubeconfig: SecretRef {
                name: "KUBE_CONFIG".into(),
                span: Span::default(),
            },
        },
        run_as_user: 10001,
        hooks: Hooks::default(),
        pull_secrets: vec![],
        volumes: vec![],
        expose: Expose::default(),
        selector: None,
        selector_span: None,
        rollouts: Vec::new(),
        alerts: None,
        helm: None,
        workload: Default::default(),
    });
    let mut pipeline = Pipeline {
        id: PipelineId(0),
        name: "api".into(),
        span: Span::default(),
        file: "api.pipe".into(),
        triggers: vec![Trigger {
            kind: TriggerKind::Tag {
                patterns: vec![glob("v*")],
            },
            paths: vec![],
            span: Span::default(),
        }],
        env: vec![],
        jobs: vec![],
        graph: Default::default(),
    };
    pipeline.jobs.push(Job {
        id: JobId(0),
        name: "deploy_prod".into(),
        title: Text::lit("Deploy to prod"),
        title_span: None,
        span: Span::default(),
        origin: None,
        role: Role::Deploy,
        kind: JobKind::Deploy(Deploy {
            env: EnvId(0),
            services: vec![(ServiceId(0), PublishId(0))],
            method: DeployMethod::Kubectl {
                kubeconfig: SecretRef {
                    name: "KUBE_CONFIG".into(),
                    span: Span::default(),
                },
            },
        }),
        when: Cond::Tag(vec![glob("v*")]),
        when_span: None,
        run_on: RunOn::Success,
        runner: Runner::Ubuntu,
        runner_span: None,
        timeout: None,
        allow_failure: false,
        matrix: None,
        env: vec![],
        duration: None,
    });
    p.pipelines.push(pipeline);
}

/// The version of a release tag named by a prefixed pattern, for every way a
/// tag pattern can start.
#[test]
fn versions_come_from_prefixed_release_tags() {
    let cases: &[(&[&str], &str, Option<&str>)] = &[
        (&["users-v*"], "users-v1.2.3", Some("1.2.3")),
        (&["users-v*"], "users-v2.0.0-rc.1", Some("2.0.0-rc.1")),
        (&["users-*"], "users-v1.2.3", Some("1.2.3")),
        (&["users-*"], "users-1.2.3", Some("1.2.3")),
        (&["v*"], "v1.4.2", Some("1.4.2")),
        (&["*"], "1.4.2", Some("1.4.2")),
        (&[], "v1.4.2", Some("1.4.2")),
        (&["team/*/v*"], "team/api/v3.1.0", Some("3.1.0")),
        (&["orders-v*", "users-v*"], "users-v0.9.1", Some("0.9.1")),
        (&["rel$x\"-v*"], "rel$x\"-v1.0.0", Some("1.0.0")),
        (&["users-v*"], "users-vnext", None),
        (&["users-v*"], "users-v1.2", None),
    ];
    let p = &program().publishes[0];
    for (patterns, tag, expected) in cases {
        let release: Vec<Glob> = patterns.iter().map(|g| glob(g)).collect();
        let script = format!("{}pipec_version_0", version_function(p, &release));
        let (ok, out) = run(&script, "tag", tag, None);
        match expected {
            Some(v) => assert!(ok && out == *v, "{patterns:?} {tag}: {out}\n{script}"),
            None => assert!(!ok && out.is_empty(), "{patterns:?} {tag}: {out}"),
        }
    }
}

#[test]
fn an_immutable_tag_is_never_moved_and_a_moving_one_follows() {
    // A registry of one repository in a shell function: `inspect` answers
    // the digest a tag names, `create` records the copy.
    let registry = "registry=' 1.0.0=sha256:aaaa latest=sha256:aaaa '\n\
        docker() {\n\
          case \"$3\" in\n\
            inspect) t=\"${4##*:}\"; d=\"${registry##* $t=}\"\n\
              if [ \"$d\" = \"$registry\" ]; then echo 'manifest unknown' >&2; return 1; fi\n\
              printf '\"%s\"\\n' \"${d%% *}\" ;;\n\
            create) echo \"created $6 from $7\" ;;\n\
          esac\n\
        }\n";
    let point = |tag: &str, digest: &str, kind: &str| {
        let script = format!(
            "{registry}{}pipec_point ghcr.io/acme/api {tag} {digest} {kind}\n",
            helpers_for("pipec_point")
        );
        run(&script, "tag", "v1.0.0", None)
    };
    // The same digest again: nothing to do.
    let (ok, out) = point("1.0.0", "sha256:aaaa", "fixed");
    assert!(ok && out.is_empty(), "{out}");
    // Another digest under an immutable tag: refused, the tag stays.
    let (ok, out) = point("1.0.0", "sha256:bbbb", "fixed");
    assert!(!ok && out.contains("is immutable"), "{out}");
    assert!(!out.contains("created"), "{out}");
    // A new immutable tag is created; a moving tag follows the release.
    let (ok, out) = point("1.0.1", "sha256:bbbb", "fixed");
    assert!(
        ok && out.contains("created ghcr.io/acme/api:1.0.1 from"),
        "{out}"
    );
    let (ok, out) = point("latest", "sha256:bbbb", "moving");
    assert!(
        ok && out.contains("created ghcr.io/acme/api:latest from ghcr.io/acme/api@sha256:bbbb"),
        "{out}"
    );
}

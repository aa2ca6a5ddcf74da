//! The shell is run for real: tags for each kind of run, and a GitOps update
//! against a local repository.

use std::path::Path;
use std::process::Command;

use pipec_graph::*;

use super::*;

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
        ["sha-0123456", "feature-x-y"]
    );
}

#[test]
fn tags_for_a_release() {
    assert_eq!(
        tags("tag", "v1.4.2"),
        ["sha-0123456", "1.4.2", "1.4", "1", "latest"]
    );
    // A pre-release gets only its full version, and is still a release tag.
    assert_eq!(
        tags("tag", "v2.0.0-rc.1"),
        ["sha-0123456", "2.0.0-rc.1", "latest"]
    );
    // A tag that is not SemVer gets no version tags, and is not a release.
    assert_eq!(tags("tag", "nightly"), ["sha-0123456"]);
}

#[test]
fn deploy_tag_prefers_the_version() {
    let f = tag_functions(&program());
    assert_eq!(
        run(&format!("{f}pipec_deploy_tag_0"), "tag", "v1.4.2", None)
            .1
            .trim(),
        "1.4.2"
    );
    assert_eq!(
        run(&format!("{f}pipec_deploy_tag_0"), "branch", "main", None)
            .1
            .trim(),
        "sha-0123456"
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
fn gitops_update_commits_the_new_tag() {
    let tmp = std::env::temp_dir().join(format!("pipec-gitops-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let origin = tmp.join("origin.git");
    let work = tmp.join("work");
    let git = |dir: &Path, args: &[&str]| {
        let o = Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    std::fs::create_dir_all(&work).unwrap();
    git(
        &tmp,
        &[
            "init",
            "--quiet",
            "--bare",
            "--initial-branch=main",
            "origin.git",
        ],
    );
    git(&work, &["init", "--quiet", "--initial-branch=main"]);
    let overlay = work.join("deploy/api/overlays/dev");
    std::fs::create_dir_all(&overlay).unwrap();
    std::fs::write(
        overlay.join("kustomization.yaml"),
        format!("images:\n  - name: api\n    newName: ghcr.io/acme/api\n    newTag: 'pending'{CI_OWNED}\n"),
    )
    .unwrap();
    git(&work, &["add", "."]);
    git(
        &work,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "--quiet",
            "-m",
            "init",
        ],
    );
    git(
        &work,
        &["remote", "add", "origin", origin.to_str().unwrap()],
    );
    git(&work, &["push", "--quiet", "origin", "main"]);

    let mut p = program();
    p.environments.push(Environment {
        id: EnvId(0),
        name: "dev".into(),
        span: Span::default(),
        file: "deploy.pipe".into(),
        namespace: "api-dev".into(),
        url: None,
        tier: Tier::Development,
        replicas: None,
        resources: None,
        autoscale: None,
        config: vec![],
        approvals: 0,
        approvals_span: None,
        promotion: None,
        trigger: None,
        trigger_span: None,
        sync: SyncPolicy {
            automated: true,
            prune: false,
            self_heal: true,
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
        method: DeployMethod::ArgoCd,
        run_as_user: 10001,
        hooks: Hooks::default(),
        pull_secrets: vec![],
        volumes: vec![],
        expose: Expose::default(),
        selector: None,
        selector_span: None,
        rollouts: Vec::new(),
        alerts: None,
    });
    let d = Deploy {
        env: EnvId(0),
        services: vec![(ServiceId(0), PublishId(0))],
        method: DeployMethod::ArgoCd,
    };
    let script = deploy_script(&p, &d);
    let (ok, out) = run(&script, "branch", "main", Some(&work));
    assert!(ok, "{script}\n{out}");
    let log = Command::new("git")
        .args(["log", "-1", "--format=%s", "main"])
        .current_dir(&origin)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&log.stdout).trim(),
        "chore(deploy): api sha-0123456 to dev"
    );
    let show = Command::new("git")
        .args(["show", "main:deploy/api/overlays/dev/kustomization.yaml"])
        .current_dir(&origin)
        .output()
        .unwrap();
    let file = String::from_utf8_lossy(&show.stdout);
    assert!(
        file.contains(&format!("newTag: 'sha-0123456'{CI_OWNED}")),
        "{file}"
    );
    // Running again changes nothing and succeeds.
    let (ok, out) = run(&script, "branch", "main", Some(&work));
    assert!(ok && out.contains("already deployed"), "{out}");
    let _ = std::fs::remove_dir_all(&tmp);
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
    let script = push_script(&p.publishes[0], "app:ci", &[]);
    assert!(
        script.contains("docker push \"$CI_REGISTRY_IMAGE\":\"$t\""),
        "{script}"
    );
    assert_eq!(image_ref(&program().publishes[0]), "'ghcr.io/acme/api'");
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

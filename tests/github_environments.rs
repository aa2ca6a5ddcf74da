//! A GitHub environment is the repository's: when several pipelines deploy
//! to it, the protection comment of each pipeline's deployment job gives
//! that pipeline's refs, and what the comments ask for must agree — the same
//! environment settings (the PUT) in each, custom branch and tag policies in
//! all of them or in none. A pipeline deploying from refs no policy can
//! express (`**`) leaves the environment without custom policies, for every
//! pipeline; a deployment started by hand is still refused every ref its
//! own job does not accept (its guard, run here with `sh`).

mod manifests;

use std::process::Command;

fn program(api_tag: &str) -> String {
    format!(
        r#"use std.docker

pipeline api {{
  on push to main
  on tag "{api_tag}"
  image api = docker.build(context: "api")
  publish api to ghcr("acme/api") {{ when branch main or release; tags [sha, semver] }}
}}

pipeline web {{
  on push to main
  on tag "web-v*"
  image web = docker.build(context: "web")
  publish web to ghcr("acme/web") {{ when branch main or release; tags [sha, semver] }}
}}

environment staging {{ namespace "shop-staging"; deploy on branch main }}
environment prod {{
  namespace "shop-prod"
  promote   from staging, approvals 1, on release
  tier      production
}}

service api {{
  image api
  port  8000
  deploy to [staging, prod] via argocd
}}

service web {{
  image web
  port  8000
  deploy to [staging, prod] via argocd
}}

gitops {{
  repo   "https://github.com/acme/deploy.git"
  argocd secret("ARGOCD_KUBECONFIG")
}}
"#
    )
}

/// Every workflow of the program, by path.
fn workflows(src: &str) -> Vec<(String, String)> {
    let (p, _) = manifests::program(src);
    let tree = pipec::emit(&p, &["github"]).unwrap_or_else(|d| panic!("{d:#?}"));
    tree.files()
        .map(|f| (f.path.clone(), f.body.clone()))
        .collect()
}

/// The comment lines above `environment:` of the job deploying to `env`.
fn protection(body: &str, env: &str) -> Vec<String> {
    let lines: Vec<&str> = body.lines().collect();
    let at = lines
        .iter()
        .position(|l| {
            l.trim()
                == format!("# Protection of environment `{env}`, set in the repository settings:")
        })
        .unwrap_or_else(|| panic!("no protection comment for {env}"));
    lines[at..]
        .iter()
        .take_while(|l| l.trim_start().starts_with('#'))
        .map(|l| l.trim_start().trim_start_matches('#').trim().to_string())
        .collect()
}

/// The dispatch guard of the job deploying to `env`, run for a ref.
fn accepts(body: &str, env: &str, ref_type: &str, name: &str) -> bool {
    let job = body
        .find(&format!("\n  deploy_{env}:\n"))
        .unwrap_or_else(|| panic!("no deploy_{env}"));
    let rest = &body[job..];
    let start = rest
        .find("if [ \"${PIPEC_EVENT:-}\" = dispatch ]")
        .expect("a guard");
    let guard: String = rest[start..]
        .lines()
        .take_while(|l| l.trim() != "fi")
        .map(|l| format!("{}\n", l.trim_start()))
        .collect();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("{guard}fi\necho accepted"))
        .env("PIPEC_EVENT", "dispatch")
        .env("PIPEC_REF_TYPE", ref_type)
        .env("PIPEC_REF_NAME", name)
        .output()
        .expect("sh");
    String::from_utf8_lossy(&out.stdout).contains("accepted")
}

fn put_line(comment: &[String]) -> String {
    comment
        .iter()
        .find(|l| l.starts_with("echo '{"))
        .cloned()
        .expect("a PUT")
}

#[test]
fn pipelines_sharing_an_environment_ask_for_the_same_settings() {
    let files = workflows(&program("api-v*"));
    let get = |path: &str| {
        &files
            .iter()
            .find(|(p, _)| p == path)
            .unwrap_or_else(|| panic!("no {path}"))
            .1
    };
    for env in ["staging", "prod"] {
        let mut puts = Vec::new();
        for (pipeline, own, other) in [("api", "api-v*", "web-v*"), ("web", "web-v*", "api-v*")] {
            for file in [format!("{pipeline}.yml"), format!("{pipeline}-deploy.yml")] {
                let body = get(&format!(".github/workflows/{file}"));
                let c = protection(body, env);
                let text = c.join("\n");
                assert!(
                    text.contains("this pipeline deploys here only from"),
                    "{text}"
                );
                assert!(
                    text.contains("The workflows of 2 pipelines deploy to"),
                    "{text}"
                );
                assert!(
                    text.contains(&format!("-f name='{own}' -f type=tag")),
                    "{text}"
                );
                assert!(!text.contains(other), "{text}");
                assert!(text.contains("\"custom_branch_policies\":true"), "{text}");
                puts.push(put_line(&c));
                let version = own.trim_end_matches('*');
                assert!(
                    accepts(body, env, "tag", &format!("{version}1.2.0")),
                    "{file} {env}"
                );
                let other_version = other.trim_end_matches('*');
                assert!(
                    !accepts(body, env, "tag", &format!("{other_version}1.2.0")),
                    "{file} {env}"
                );
            }
        }
        puts.dedup();
        assert_eq!(puts.len(), 1, "{puts:#?}");
    }
}

#[test]
fn one_pipeline_without_expressible_refs_leaves_the_environment_without_policies() {
    let files = workflows(&program("api/**"));
    for (path, body) in &files {
        for env in ["staging", "prod"] {
            let c = protection(body, env);
            let text = c.join("\n");
            assert!(
                text.contains("\"deployment_branch_policy\":null"),
                "{path}: {text}"
            );
            assert!(
                !text.contains("deployment-branch-policies"),
                "{path}: {text}"
            );
            assert!(text.contains("deployments from any ref"), "{path}: {text}");
        }
        // The guards still refuse the other pipeline's releases.
        if path.contains("web") {
            assert!(accepts(body, "prod", "tag", "web-v1.2.0"), "{path}");
            assert!(!accepts(body, "prod", "tag", "api/1.2.0"), "{path}");
        } else {
            assert!(accepts(body, "prod", "tag", "api/1.2.0"), "{path}");
            assert!(!accepts(body, "prod", "tag", "web-v1.2.0"), "{path}");
        }
    }
}

//! Workers and CronJobs move with a release as services do: the flask-api
//! example with a worker and a nightly CronJob of the same image, walked from
//! a push to production; in each environment the worker's and the CronJob's
//! rendered image is exactly the service's.

use super::{JobState, Walk, commit_tag, flask};
use pipec_tests::tool;

const WORKLOADS: &str = r#"
worker flask_worker {
  image     app
  command   "celery -A app.tasks worker --loglevel INFO"
  probes    { live "celery -A app.tasks inspect ping --timeout 5" { period 30s, timeout 10s } }
  resources { cpu 100m..500m, memory 128Mi..512Mi }
  config    { QUEUES: "default" }
  deploy    to [dev, staging, prod] via argocd
}

cronjob flask_nightly {
  image     app
  schedule  "15 3 * * *"
  timezone  "Europe/Berlin"
  command   "python -m app.nightly"
  deadline  30m
  resources { cpu 100m..500m, memory 128Mi..256Mi }
  deploy    to [dev, staging, prod] via argocd
}
"#;

#[test]
fn workers_and_cronjobs_move_with_the_release() {
    let Some(kubectl) = tool("kubectl") else {
        return;
    };
    let plan = flask();
    let mut w = Walk::new("workloads", plan, &kubectl, |t| {
        if t.contains("service flask_api {") {
            format!("{t}{WORKLOADS}")
        } else {
            t.to_string()
        }
    });
    let rendered = |w: &Walk, app: &str, env: &str| -> String {
        let render = w.render_app(&format!("{app}-{env}"));
        let images: Vec<&str> = render
            .lines()
            .filter_map(|l| l.trim().trim_start_matches("- ").strip_prefix("image: "))
            .collect();
        assert_eq!(images.len(), 1, "{app} in {env}:\n{render}");
        images[0].to_string()
    };
    let kinds = |w: &Walk, app: &str, env: &str| -> Vec<String> {
        w.render_app(&format!("{app}-{env}"))
            .lines()
            .filter_map(|l| l.strip_prefix("kind: "))
            .map(str::to_string)
            .collect()
    };

    let c1 = w.change(1);
    let r1 = w.push("HEAD:refs/heads/develop")[0];
    w.expect(r1, "deploy_dev", JobState::Success);
    let d1 = w.digest(&commit_tag(&w.plan, &c1)).unwrap();
    let built = w.image(&commit_tag(&w.plan, &c1), &d1);
    for app in ["flask-api", "flask-worker", "flask-nightly"] {
        assert_eq!(rendered(&w, app, "dev"), built, "{app} in dev");
    }
    // The worker is a Deployment without a Service; the CronJob is a CronJob.
    let worker = kinds(&w, "flask-worker", "dev");
    assert!(worker.contains(&"Deployment".to_string()), "{worker:?}");
    assert!(!worker.contains(&"Service".to_string()), "{worker:?}");
    assert!(kinds(&w, "flask-nightly", "dev").contains(&"CronJob".to_string()));

    w.approve(r1, "deploy_staging");
    for app in ["flask-worker", "flask-nightly"] {
        assert_eq!(rendered(&w, app, "staging"), built, "{app} in staging");
    }

    // The release promotes that digest to production, the worker's and the
    // CronJob's with the service's.
    let r2 = w.tag("v1.0.0")[0];
    w.approve_all(r2);
    w.expect(r2, "deploy_prod", JobState::Success);
    let release = w.image("1.0.0", &d1);
    for app in ["flask-api", "flask-worker", "flask-nightly"] {
        assert_eq!(rendered(&w, app, "prod"), release, "{app} in prod");
    }
}

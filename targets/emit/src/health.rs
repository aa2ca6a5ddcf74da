//! The health checks of a job's service containers, as each CI system takes
//! them: Docker's `--health-*` options (GitHub Actions starts the steps once
//! the containers are healthy), and the shell that waits for them where the
//! CI system has no health check (GitLab CI): it runs the check from the
//! job's own shell, reaching the service by its name, until it succeeds or
//! the tries are spent, and then fails with the check's last output.

use pipec_graph::{Duration, HealthCheck};

use crate::release::sh_quote;

/// Docker's health options, each value one argument: (option, value).
pub fn docker_options(h: &HealthCheck) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("--health-cmd", h.command.clone()),
        ("--health-interval", h.interval.to_string()),
        ("--health-timeout", h.timeout.to_string()),
        ("--health-retries", h.retries.to_string()),
    ];
    if h.start.seconds > 0 {
        out.push(("--health-start-period", h.start.to_string()));
    }
    out
}

/// Checks made while the service starts, when failures do not count: one
/// per interval of the start period.
fn start_tries(h: &HealthCheck) -> u64 {
    h.start.seconds.div_ceil(h.interval.seconds.max(1))
}

/// The most checks the wait makes.
pub fn most_tries(h: &HealthCheck) -> u64 {
    start_tries(h) + u64::from(h.retries)
}

/// A script that returns once `service`'s check succeeds, or fails after
/// [`most_tries`] checks with the last output of the check. It runs in a
/// subshell, so nothing it sets reaches the job's script, and each check is
/// bounded by `timeout` where the image has it.
pub fn wait_script(service: &str, h: &HealthCheck) -> String {
    let name = sh_quote(service);
    let cmd = sh_quote(&h.command);
    let tries = most_tries(h);
    let Duration { seconds: interval } = h.interval;
    let Duration { seconds: timeout } = h.timeout;
    format!(
        "# Wait until service {service} is healthy: GitLab CI has no health checks for services.\n\
         (\n\
         \x20 check={cmd}\n\
         \x20 pipec_check() {{\n\
         \x20   if command -v timeout >/dev/null 2>&1; then timeout {timeout} sh -c \"$check\"; else sh -c \"$check\"; fi\n\
         \x20 }}\n\
         \x20 n=0\n\
         \x20 while :; do\n\
         \x20   n=$((n + 1))\n\
         \x20   if out=$(pipec_check 2>&1); then\n\
         \x20     echo \"pipec: service \"{name}\" is healthy after $n check(s)\"\n\
         \x20     exit 0\n\
         \x20   fi\n\
         \x20   if [ \"$n\" -ge {tries} ]; then\n\
         \x20     echo \"pipec: service \"{name}\" is not healthy after $n checks, {interval}s apart: $check\" >&2\n\
         \x20     printf '%s\\n' \"$out\" >&2\n\
         \x20     exit 1\n\
         \x20   fi\n\
         \x20   sleep {interval}\n\
         \x20 done\n\
         )"
    )
}

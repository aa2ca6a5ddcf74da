//! The registry of compiler diagnostic codes.
//!
//! `E0xxx` codes are errors and `W0xxx` codes are warnings of the compiler itself;
//! lint rules (`PIPE1xx`) have their own registry in the lint crate but share the
//! [`Code`] type. Each compiler code's long explanation is the markdown page
//! `docs/errors/<CODE>.md`, embedded here so that `pipec explain` and the
//! documentation are the same text; a code without a page does not compile.

use crate::diagnostic::Severity;

/// A stable diagnostic code such as `E0101` or `PIPE101`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code(pub &'static str);

impl Code {
    pub fn as_str(self) -> &'static str {
        self.0
    }

    pub fn default_severity(self) -> Severity {
        if self.0.starts_with('E') {
            Severity::Error
        } else {
            Severity::Warning
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// A registered compiler code.
pub struct CodeInfo {
    pub code: Code,
    /// One line: what the diagnostic is about.
    pub summary: &'static str,
    /// The markdown page printed by `pipec explain`.
    pub explanation: &'static str,
}

macro_rules! codes {
    ($( $name:ident = $code:literal : $summary:literal, )*) => {
        $( pub const $name: Code = Code($code); )*

        /// Every compiler code, in code order.
        pub static ALL: &[CodeInfo] = &[
            $( CodeInfo {
                code: Code($code),
                summary: $summary,
                explanation: include_str!(concat!("../../../docs/errors/", $code, ".md")),
            }, )*
        ];
    };
}

codes! {
    // Lexical structure and syntax.
    SYNTAX = "E0001": "syntax error",
    UNTERMINATED_STRING = "E0002": "unterminated string literal",
    FORBIDDEN_CHARACTER = "E0003": "invisible or bidirectional control character in source",
    NESTING_TOO_DEEP = "E0004": "nesting too deep",
    INVALID_ESCAPE = "E0005": "invalid escape sequence in a string",
    INVALID_LITERAL = "E0006": "invalid number or quantity literal",
    INVALID_SOURCE = "E0007": "source file is not valid UTF-8 text or is too large",

    // Names, modules and statement shapes.
    UNKNOWN_NAME = "E0101": "unknown name",
    DUPLICATE_DEFINITION = "E0102": "name defined twice",
    UNKNOWN_MODULE = "E0103": "unknown standard-library module",
    IMPORT_FAILED = "E0104": "imported file cannot be read",
    IMPORT_CYCLE = "E0105": "modules import each other in a cycle",
    MODULE_CONTENT = "E0106": "a module may only define templates",
    UNKNOWN_STATEMENT = "E0107": "statement not allowed here",
    UNKNOWN_ARGUMENT = "E0108": "unknown template argument",
    MISSING_ARGUMENT = "E0109": "required template argument missing",
    DUPLICATE_STATEMENT = "E0110": "statement given twice",
    MISSING_STATEMENT = "E0111": "required statement missing",
    MALFORMED_STATEMENT = "E0112": "statement has the wrong shape",
    UNKNOWN_STEP = "E0113": "step placed next to a step the job does not have",
    IMPORT_OUTSIDE = "E0114": "imported file outside the project",

    // Types and values.
    TYPE_MISMATCH = "E0201": "value has the wrong type",
    OUT_OF_RANGE = "E0202": "value out of range",
    INVALID_GLOB = "E0203": "invalid glob pattern",
    INVALID_CRON = "E0204": "invalid cron schedule",
    INVALID_VERSION = "E0205": "invalid version",
    INVALID_RANGE = "E0206": "range with its minimum above its maximum",
    TEMPLATE_STRING = "E0207": "error in a `{{ }}` string template",
    UNKNOWN_VARIANT = "E0208": "unknown enum value",
    PLAINTEXT_SECRET = "E0209": "secret written as plain text",
    INVALID_NAME = "E0210": "name not usable in generated files",
    INVALID_URL = "E0211": "invalid URL",
    UNKNOWN_TYPE = "E0212": "unknown type in a template signature",
    RUN_TIME_VALUE = "E0213": "value known only when the pipeline runs, where it must be known before",
    UNTRUSTED_CHOICE = "E0214": "a branch name chooses a runner or an image",
    NON_ASCII_HOST = "E0215": "host that receives credentials is not ASCII",
    COVERAGE_FORMAT = "E0216": "coverage report in a format pipec cannot tell",
    TOOL_WITHOUT_RUNTIME = "E0217": "tool that needs a runtime the job does not set up",

    // The pipeline graph.
    DEPENDENCY_CYCLE = "E0301": "jobs depend on each other in a cycle",
    PROMOTION_CYCLE = "E0302": "environments promote from each other in a cycle",
    NO_DEPLOY_TRIGGER = "E0303": "environment has neither a deploy trigger nor a promotion",
    IMAGE_NOT_PUBLISHED = "E0304": "deployed image is never published",
    NO_IMMUTABLE_TAG = "E0305": "published image has no immutable tag to deploy",
    NO_GITOPS_REPOSITORY = "E0306": "Argo CD deployment without a GitOps repository",
    DUPLICATE_JOB = "E0307": "two jobs would have the same name",
    UNKNOWN_MATRIX_AXIS = "E0308": "matrix include or exclude names an unknown axis",
    NO_TRIGGERS = "E0309": "pipeline has no triggers",
    CONFLICTING_STATEMENTS = "E0310": "statements that cannot be combined",
    REVISION_NOT_A_BRANCH = "E0311": "environment follows a revision its deployments cannot commit to",

    // The GitHub Actions target.
    GITHUB_PATTERN = "E0401": "branch or tag pattern GitHub Actions cannot express",
    GITHUB_NO_EXPRESSION = "E0402": "run-time value GitHub Actions cannot compute outside a script",
    GITHUB_UNREACHABLE_SERVICE = "E0403": "service container the job cannot reach",
    GITHUB_REGISTRY = "E0404": "registry GitHub Actions cannot push to",
    GITHUB_PLATFORM = "E0405": "platform GitHub Actions cannot build an image for",
    GITHUB_EXPRESSION_IN_SCRIPT = "E0406": "script text GitHub Actions would evaluate",
    GITHUB_TOOL_RUNNER = "E0407": "tool archive for another operating system than the runner's",
    GITHUB_PATHS = "E0408": "triggers of one event with different path filters",

    // The GitLab CI target.
    GITLAB_SEVERAL_PIPELINES = "E0420": "pipelines that declare one dispatch input differently",
    GITLAB_RESERVED_JOB_NAME = "E0421": "job name is a GitLab CI keyword",
    GITLAB_RUNNER = "E0422": "runner the GitLab target cannot run a job on",
    GITLAB_CACHE_KEY = "E0423": "cache GitLab cannot key",
    GITLAB_MATRIX = "E0424": "matrix GitLab cannot run",
    GITLAB_TOO_MANY_NEEDS = "E0425": "job waits for more jobs than GitLab allows",
    GITLAB_PLATFORM = "E0426": "platform GitLab CI cannot build an image for",
    GITLAB_VARIABLE_NAME = "E0427": "secret name is not a GitLab CI/CD variable name",
    GITLAB_EXPRESSION_VALUE = "E0428": "value a GitLab `rules:if` expression cannot hold",
    GITLAB_EXPANDED_TEXT = "E0429": "text GitLab CI would expand as a variable",
    GITLAB_NO_VARIABLE = "E0430": "run-time value GitLab CI cannot compute outside a script",

    // Kubernetes and Argo CD targets.
    IMAGE_WITHOUT_ADDRESS = "E0440": "deployed image has no registry address a cluster can pull from",
    REPLICAS_WITH_AUTOSCALE = "E0441": "environment sets both replicas and autoscale",
    AUTOSCALE_TO_ZERO = "E0442": "autoscaled service set to zero replicas",
    AUTOSCALE_WITHOUT_REQUEST = "E0443": "autoscaling on a resource the container does not request",
    HOOKS_WITHOUT_ARGOCD = "E0444": "sync hooks on a service not deployed by Argo CD",
    SHARED_INGRESS_HOST = "E0445": "two environments of a service serve the same ingress host",
    SHARED_NAMESPACE = "E0446": "two environments of a service deploy into the same namespace",
    RESERVED_NAMESPACE = "E0447": "Argo CD destination in a namespace reserved for the cluster",
    APPLICATION_NAME_CLASH = "E0448": "two Argo CD Applications would have the same name",
    SELECTOR_SELECTS_HOOKS = "E0449": "a service's selector also selects its hook pods",

    // Progressive delivery (`rollout` of a service).
    THRESHOLD_WITHOUT_UNIT = "E0460": "analysis threshold without a unit",
    CANARY_WEIGHTS = "E0461": "canary weights that do not rise to 100%",
    UNKNOWN_METRIC = "E0462": "analysis on metrics the service does not expose",
    ROLLOUT_TARGET = "E0463": "rollout strategy on a deployment that cannot follow it",

    // Releases of pushed tags.
    RELEASE_OUTSIDE_TAG_RUNS = "E0470": "release in a job that runs outside tag runs",
    RELEASE_FILE_NOT_KEPT = "E0471": "release file no job before it keeps",
    RELEASE_TWICE = "E0472": "release created more than once per tag",

    // Workloads without a port (`worker`, `cronjob`) and CI service containers.
    NO_PORT_STATEMENT = "E0480": "statement of an HTTP service in a workload without a port",
    WORKER_PROBES = "E0481": "worker that does not say how it is probed",
    TIME_ZONE = "E0482": "time zone that is not an IANA name",
    HEALTH_WAIT = "E0483": "service container health check that outlasts its job",

    // Services deployed from a Helm chart (`helm` of a service).
    CHART_WITHOUT_VERSION = "E0490": "Helm chart without a version",
    CHART_VERSION_NOT_EXACT = "E0491": "Helm chart version that is not one exact version",
    CHART_REPOSITORY_URL = "E0492": "Helm chart repository that is neither https nor oci",
    VALUES_KEY_COLLISION = "E0493": "two parts of a service written to one values key",
    HELM_STATEMENT = "E0494": "statement a Helm chart decides for itself",
    HELM_WITHOUT_ARGOCD = "E0495": "Helm chart service not deployed by Argo CD",

    // Operations: Argo CD notifications, rollout analysis.
    UNKNOWN_NOTIFY_SERVICE = "E0500": "Argo CD notifications to a service pipec does not configure",
    NOTIFY_RECIPIENT = "E0501": "notification recipient the service cannot deliver to",
    NOTIFY_TOKEN_KEY = "E0502": "notification token that is not a key of argocd-notifications-secret",
    NOTIFY_WITHOUT_ARGOCD = "E0503": "Argo CD notifications in an environment no Application watches",
    ANALYSIS_WITHOUT_MEASUREMENT = "E0504": "rollout analysis that measures nothing",

    // Warnings.
    UNUSED = "W0001": "declared but never used",
    NEVER_RUNS = "W0002": "job can never run",
    UNUSED_IMPORT = "W0003": "imported module never used",
    ENVIRONMENT_VALUE_EVERYWHERE = "W0004": "a service's configuration names one of the environments it runs in",
    UNVERIFIED_DEPLOYMENT = "W0005": "Argo CD deployment that nothing waits for",
}

/// Where the long explanation of a code is published: its page under
/// `docs/errors/` (compiler codes) or `docs/rules/` (lint rules) in the
/// repository, what `pipec explain CODE` prints.
pub fn help_uri(code: &str) -> String {
    let repo = env!("CARGO_PKG_REPOSITORY");
    let folder = if code.starts_with("PIPE") {
        "rules"
    } else {
        "errors"
    };
    format!("{repo}/blob/main/docs/{folder}/{code}.md")
}

/// The registered code with this text, if any.
pub fn lookup(code: &str) -> Option<&'static CodeInfo> {
    ALL.iter().find(|c| c.code.0.eq_ignore_ascii_case(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_sorted_and_explained() {
        for w in ALL.windows(2) {
            assert!(w[0].code < w[1].code, "{} before {}", w[0].code, w[1].code);
        }
        for c in ALL {
            assert!(
                c.explanation.starts_with(&format!("# {}", c.code)),
                "docs/errors/{}.md must start with `# {}`",
                c.code,
                c.code
            );
        }
    }
}

#!/usr/bin/env bash
# selftest.sh: prove that every validator installed by scripts/install-tools.sh
# works on this machine with no network: each tool is run on a small valid and
# a small invalid sample (written to a temporary directory) and must accept the
# first and reject the second with the expected message.
#
# Usage: scripts/tools/selftest.sh [--no-unshare]
#   Runs every command inside `unshare -n` (an empty network namespace: not even
#   DNS) when that works (root), so "offline" is proven, not assumed.
# Env: PIPEC_TOOLS (default <repo>/.tools). Ends with "N passed, N failed";
#   exit 0 only if all passed.
set -uo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PIPEC_TOOLS="${PIPEC_TOOLS:-$(cd "$SCRIPT_DIR/../.." && pwd)/.tools}"
export PATH="$PIPEC_TOOLS/bin:$PATH"
[[ -x "$PIPEC_TOOLS/bin/zizmor" ]] || { echo "selftest: run scripts/install-tools.sh first" >&2; exit 2; }

ISOLATE=()
if [[ "${1:-}" != --no-unshare ]] && unshare -n true 2>/dev/null; then
  ISOLATE=(unshare -n)
  echo "selftest: every check runs under 'unshare -n' (no network at all)"
else
  echo "selftest: running without network isolation"
fi

W="$(mktemp -d)"; trap 'rm -rf "$W"' EXIT
cd "$W" || exit 2
pass=0; fail=0

# check NAME WANT_RC GREP_REGEX -- COMMAND...   (WANT_RC: a number, or "nz" for non-zero)
check() {
  local name="$1" want="$2" pat="$3"; shift 4
  local out rc t0 t1 ok=1
  t0=$EPOCHREALTIME
  out="$("${ISOLATE[@]}" "$@" 2>&1)"; rc=$?
  t1=$EPOCHREALTIME
  if [[ "$want" == nz ]]; then ((rc != 0)) || ok=0; else ((rc == want)) || ok=0; fi
  if [[ -n "$pat" ]] && ! grep -qE -- "$pat" <<<"$out"; then ok=0; fi
  if ((ok)); then
    pass=$((pass + 1)); printf 'ok    %-44s rc=%-3s %5.2fs\n' "$name" "$rc" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
  else
    fail=$((fail + 1)); printf 'FAIL  %-44s rc=%s (want %s, /%s/)\n' "$name" "$rc" "$want" "$pat"
    printf '%s\n' "$out" | head -n 30 | sed 's/^/      | /'
  fi
}

# ---------------------------------------------------------------- samples
mkdir -p gh gl-ok gl-bad gl-inc/ci k8s/base k8s/prod k8s/broken pc
cat > gh/valid.yml <<'EOF'
name: ci
on:
  push:
    branches: [main]
permissions: {}
jobs:
  test:
    name: test
    runs-on: ubuntu-24.04
    permissions:
      contents: read
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683  # v4.2.2
        with:
          persist-credentials: false
      - name: test
        run: echo "testing"
EOF
cat > gh/invalid.yml <<'EOF'
name: ci
on:
  push:
  pull_request_target:
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v2
      - name: greet
        run: echo "${{ github.event.pull_request.title }}"
      - name: bad
        run: echo hi
        timeout-minute: 5
  deploy:
    needs: [tests]
    runs-on: ubuntu-latest
    steps:
      - run: echo deploy
EOF
printf 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: 3\n' > gh/broken.yml
cat > gl-ok/.gitlab-ci.yml <<'EOF'
stages: [build, test]
build:
  stage: build
  image: alpine:3.20
  script:
    - echo "build"
test:
  stage: test
  needs: [build]
  script:
    - 'echo "Unit tests passed: 43/43"'
EOF
cat > gl-bad/.gitlab-ci.yml <<'EOF'
stages: [build, test]
build:
  stage: build
  script:
    - echo "✅ Unit tests passed: 43/43"
EOF
printf 'build:\n  script: [echo hi]\n  when: sometimes\n' > gl-schema-bad.yml
printf 'include:\n  - local: ci/jobs.yml\n.base:\n  image: alpine:3.20\nbuild:\n  extends: .base\n  script: [echo build]\n' > gl-inc/.gitlab-ci.yml
printf 'lint:\n  script: [echo lint]\n' > gl-inc/ci/jobs.yml
cat > app-valid.yaml <<'EOF'
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
spec:
  project: web
  source:
    repoURL: https://example.invalid/repo.git
    targetRevision: main
    path: deploy/overlays/prod
  destination:
    server: https://kubernetes.default.svc
    namespace: web
  syncPolicy:
    automated: {prune: true, selfHeal: true}
    syncOptions: [CreateNamespace=true]
---
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: web
  namespace: argocd
spec:
  description: the web app
  sourceRepos: ["https://example.invalid/repo.git"]
  destinations:
    - server: https://kubernetes.default.svc
      namespace: web
EOF
cat > app-invalid.yaml <<'EOF'
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
spec:
  project: default
  source:
    repoURL: https://example.invalid/repo.git
    path: deploy
  destinaton:
    server: https://kubernetes.default.svc
  syncPolicy:
    automated: {prune: "yes", selfHeel: true}
EOF
cat > k8s/base/deployment.yaml <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports:
            - containerPort: 80
EOF
printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [deployment.yaml]\n' > k8s/base/kustomization.yaml
printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: prod\nresources: [../base]\nimages:\n  - name: nginx\n    newTag: "1.27.3"\n' > k8s/prod/kustomization.yaml
printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../base]\npatchesJsonX: []\n' > k8s/broken/kustomization.yaml
sed -e 's/replicas: 2/replicas: "two"/' -e 's/image: nginx:1.27/image: nginx:1.27\n          imagePullPolic: Always/' \
  k8s/base/deployment.yaml > deploy-invalid.yaml
sed -e 's/image: nginx:1.27/image: nginx:1.27\n          imagePullPolic: Always/' k8s/base/deployment.yaml > deploy-unknown-field.yaml
cat > pc/.pre-commit-config.yaml <<'EOF'
repos:
  - repo: local
    hooks:
      - id: no-tabs
        name: no tabs in yaml
        language: pygrep
        entry: "\t"
        types: [yaml]
EOF
printf 'repos:\n  - repo: local\n    hooks:\n      - id: x\n        name: x\n        language: system\n        entry: true\n' > pc-invalid.yaml
printf 'a: 1\n' > pc/ok.yaml
# shellcheck disable=SC2016  # these are shell scripts for shellcheck to judge
printf '#!/bin/sh\nset -eu\necho "building $1"\n' > ok.sh
# shellcheck disable=SC2016
printf '#!/bin/sh\necho $1\nfor f in $(ls *.txt); do echo "$f"; done\n' > bad.sh
printf 'digraph p { build -> test -> deploy; }\n' > ok.dot
printf 'digraph p { build -> ; }\n' > bad.dot

cat > rollout.yaml <<'EOF'
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: { name: web }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: "nginx:1.27" }] }
  strategy: { canary: { steps: [{ setWeight: 50 }, { setWeigth: 100 }] } }
EOF
cat > rules.yaml <<'EOF'
groups:
  - name: web
    rules:
      - alert: WebDown
        expr: avg(up{job="web"}) < 0.5
        for: 5m
EOF
printf 'groups:\n  - name: web\n    rules:\n      - alert: Broken\n        expr: sum(rate(x[5m])\n' > rules-bad.yaml
mkdir -p chart/templates
printf 'apiVersion: v2\nname: web\nversion: 1.0.0\n' > chart/Chart.yaml
printf 'replicaCount: 1\nimage: {repository: example.invalid/web, tag: "1"}\n' > chart/values.yaml
printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  replicas: {{ .Values.replicaCount }}\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n        - name: web\n          image: {{ printf "%%s:%%s" .Values.image.repository .Values.image.tag }}\n' > chart/templates/deployment.yaml
printf 'replicaCount: 3\nimage: {tag: "2"}\n' > chart-values.yaml
mkdir -p chart-bad/templates
printf 'apiVersion: v2\nname: bad\nversion: 1.0.0\n' > chart-bad/Chart.yaml
printf 'kind: {{ .Values.missing.key }}\n' > chart-bad/templates/x.yaml

printf 'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: web}\nspec:\n  parentRefs: [{name: public, namespace: infra}]\n  rules:\n    - backendRefs:\n        - {name: web, port: 80, weight: "all"}\n' > httproute.yaml

# ---------------------------------------------------------------- checks
check "zizmor: valid workflow"                 0  'No findings' -- zizmor --no-progress gh/valid.yml
check "zizmor: invalid workflow (high)"       14  'template-injection' -- zizmor --no-progress gh/invalid.yml
check "zizmor: pedantic persona"              nz  'anonymous-definition|concurrency-limits' -- zizmor --no-progress --persona pedantic gh/valid.yml
check "zizmor: schema-broken, strict collect"  1  'does not match expected validation schema' -- zizmor --no-progress --strict-collection gh/broken.yml
check "actionlint: valid workflow"             0  '' -- actionlint gh/valid.yml
check "actionlint: invalid workflow"           1  '^gh/invalid.yml:14:9: unexpected key "timeout-minute" .*\[syntax-check\]$' -- actionlint gh/invalid.yml gh/valid.yml
check "actionlint: old action runtime"         1  'actions/checkout@v2" action is too old' -- actionlint gh/invalid.yml
check "actionlint: json output"                1  '"kind": "job-needs"' -- actionlint -format json gh/invalid.yml
check "check-jsonschema: github valid"         0  'ok -- validation done' -- check-jsonschema --builtin-schema vendor.github-workflows gh/valid.yml
check "check-jsonschema: github invalid"       1  'timeout-minute' -- check-jsonschema --builtin-schema vendor.github-workflows gh/invalid.yml
check "check-jsonschema: gitlab valid"         0  'ok -- validation done' -- check-jsonschema --builtin-schema vendor.gitlab-ci gl-ok/.gitlab-ci.yml
check "check-jsonschema: gitlab invalid"       1  'is not of type .string.' -- check-jsonschema --builtin-schema vendor.gitlab-ci gl-bad/.gitlab-ci.yml
check "yamllint: valid"                        0  '' -- yamllint -s -f parsable -d '{extends: default, rules: {document-start: disable, truthy: {check-keys: false}, line-length: {max: 120}, comments: {min-spaces-from-content: 1}}}' gh/valid.yml
check "yamllint: duplicate key"                1  'key-duplicates' -- yamllint -f parsable -d relaxed pc-invalid.yaml gh/valid.yml <(printf 'a: 1\na: 2\n')
check "gitlab-ci-check: valid (list-json)"     0  '"name": "test"' -- gitlab-ci-check gl-ok
check "gitlab-ci-check: non-string script"     1  'script contains non string value' -- gitlab-ci-check gl-bad
check "gitlab-ci-check: local include+extends" 0  'image:' -- gitlab-ci-check gl-inc --preview --no-color
cp gl-schema-bad.yml gl-ok/.gitlab-ci.yml.bad
check "gitlab-ci-check: schema error"          1  'must be one of' -- gitlab-ci-check gl-ok --file .gitlab-ci.yml.bad --list --no-color
check "argocd-validate: valid"                 0  'checked 2 document' -- argocd-validate app-valid.yaml
check "argocd-validate: invalid"               1  'app-invalid.yaml: doc1 Application/web: /spec: must have required property destination' -- argocd-validate app-invalid.yaml
check "argocd-validate: unknown field"         1  '/spec/syncPolicy/automated/selfHeel: unknown field' -- argocd-validate app-invalid.yaml
check "argocd-validate: wrong type"            1  '/spec/syncPolicy/automated/prune: must be boolean' -- argocd-validate app-invalid.yaml
check "crd-validate: unknown field"            1  '/spec/strategy/canary/steps/1/setWeigth: unknown field' -- crd-validate rollout.yaml
check "crd-validate: other kinds skipped"      0  'checked 0 document' -- crd-validate app-valid.yaml
check "crd-validate: HTTPRoute weight type"    1  '/spec/rules/0/backendRefs/0/weight: must be integer' -- crd-validate httproute.yaml
check "promtool: rules"                        0  'SUCCESS: 1 rules found' -- promtool check rules rules.yaml
check "promtool: broken expression"            1  'FAILED' -- promtool check rules rules-bad.yaml
check "helm-template: values over defaults"    0  'image: example.invalid/web:2' -- helm-template chart -f chart-values.yaml --name web
check "helm-template: replicas from values"    0  'replicas: 3' -- helm-template chart -f chart-values.yaml --name web
check "helm-template: broken template"         1  'nil pointer' -- helm-template chart-bad
check "kubernetes-validate: valid (1.32)"      0  'against version 1.32' -- kubernetes-validate --strict k8s/base/deployment.yaml
check "kubernetes-validate: wrong type"        1  "'two' is not of type 'integer'" -- kubernetes-validate --strict deploy-invalid.yaml
check "kubernetes-validate: unknown (strict)"  1  'imagePullPolic' -- kubernetes-validate --strict deploy-unknown-field.yaml
check "kubernetes-validate: CRD only warns"    0  "Couldn't find schema for kind Application" -- kubernetes-validate --strict app-valid.yaml
check "kubectl: version is pinned 1.32"        0  'Client Version: v1\.32\..*Kustomize Version: v5\.5\.0' -- bash -c 'kubectl version --client | tr "\n" " "'
check "kubectl kustomize: overlay"             0  'namespace: prod' -- kubectl kustomize k8s/prod
check "kubectl kustomize | kubernetes-validate" 0 'passed for resource deployment/web' -- bash -c 'kubectl kustomize k8s/prod | kubernetes-validate --strict -'
check "kubectl kustomize: broken"              1  'unknown field' -- kubectl kustomize k8s/broken
check "pre-commit: validate-config ok"         0  '' -- pre-commit validate-config pc/.pre-commit-config.yaml
check "pre-commit: validate-config bad"        1  'Expected string got bool' -- pre-commit validate-config pc-invalid.yaml
git -C pc init -q && git -C pc add -A
check "pre-commit: run local hook"             0  'no tabs in yaml\.+Passed' -- bash -c 'cd pc && pre-commit run --all-files --color never'
check "shellcheck: ok"                         0  '' -- shellcheck ok.sh
check "shellcheck: findings"                   1  'SC2045' -- shellcheck -f gcc bad.sh
check "dot: render svg"                        0  '<svg' -- dot -Tsvg ok.dot
check "dot: syntax error"                      1  'syntax error' -- dot -Tsvg bad.dot
check "python: PyYAML reads YAML 1.1"          0  '^\{True: .x.\}$' -- python -c 'import yaml; print(yaml.safe_load("on: x"))'

echo "$pass passed, $fail failed"
((fail == 0))

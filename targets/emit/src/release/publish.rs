//! Publishing: the image of a commit is pushed once, under the commit's
//! immutable tag, and every tag of a run is then made to name that digest.
//!
//! Which digest a run publishes is decided in order:
//! 1. the commit was published before (an earlier run of the same commit, or
//!    the branch run before a release tag): its digest, whatever this run
//!    built — so a release is the image that ran in dev and staging, and a
//!    re-run never overwrites what was deployed;
//! 2. one of this run's immutable tags exists (a re-run of a release): its
//!    digest;
//! 3. otherwise the image this run built is pushed under its first tag.
//!
//! Then each tag of the run is pointed at the digest: immutable tags
//! (`sha-…`, `<branch>-…`, `1.2.3`, the git tag) are created and never moved,
//! moving tags (branch, `1.2`, `1`, `latest`, fixed names) follow.

use pipec_graph::{Program, Publish};

use super::{
    commit_tags_function, helpers_for, image_ref, publish_functions, release_function, sh_quote,
    tags_function, version_of,
};

/// Where the image a publish job pushes is, as a shell word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source<'a> {
    /// In the job's Docker (a single-platform image, loaded or pulled).
    Local(&'a str),
    /// In a registry, by digest: a multi-platform image's manifest list,
    /// which Docker's image store cannot hold, so it is copied from registry
    /// to registry (`docker buildx imagetools create`) with every platform.
    Registry(&'a str),
}

/// The script of a publish job once the image this run built (or fetched) is
/// available at `source`. It hands `<tag>@<digest>` of
/// the release to the deployments after it: as the step output `release_N`
/// on GitHub Actions, as `PIPEC_RELEASE_N` in the dotenv report
/// [`super::DOTENV_REPORT`] on GitLab CI.
pub fn publish_script(program: &Program, p: &Publish, source: Source) -> String {
    let id = p.id.0;
    let push = match source {
        Source::Local(local) => format!(
            "\x20 docker tag {local} \"$image:$first\"\n\x20 docker push \"$image:$first\"\n"
        ),
        // A carbon copy (`--prefer-index=false`): the list keeps its digest,
        // so what the scans read is what is tagged.
        Source::Registry(reference) => format!(
            "\x20 source={reference}\n\
             \x20 case \"$source\" in\n\
             \x20   *@sha256:*) ;;\n\
             \x20   *) listed=\"$(pipec_digest \"$source\")\"\n\
             \x20      [ -n \"$listed\" ] || {{ echo \"pipec: $source is not in the registry\" >&2; exit 1; }}\n\
             \x20      case \"${{source##*/}}\" in *:*) source=\"${{source%:*}}\" ;; esac\n\
             \x20      source=\"$source@$listed\" ;;\n\
             \x20 esac\n\
             \x20 docker buildx imagetools create --prefer-index=false --tag \"$image:$first\" \"$source\"\n\
             \x20 copied=\"$(pipec_digest \"$image:$first\")\"\n\
             \x20 [ \"$copied\" = \"${{source##*@}}\" ] || {{ echo \"pipec: $image:$first names $copied, not the manifest list ${{source##*@}} the pipeline built\" >&2; exit 1; }}\n"
        ),
    };
    let image = image_ref(p);
    let functions = format!(
        "{}{}{}{}",
        version_of(program, p),
        tags_function(program, p),
        commit_tags_function(p),
        release_function(p)
    );
    let body = format!(
        "image={image}\n\
         tags=\"$(pipec_tags_{id})\"\n\
         [ -n \"$tags\" ] || {{ echo 'pipec: no tag applies to this run' >&2; exit 1; }}\n\
         # The image of this commit, if it was published before: it is the one\n\
         # every tag of this run names, whatever this run built.\n\
         digest=''\n\
         for t in $(pipec_commit_tags_{id}) $(printf '%s\\n' \"$tags\" | awk '$2 == \"fixed\" {{ print $1 }}'); do\n\
         \x20 digest=\"$(pipec_digest \"$image:$t\")\"\n\
         \x20 if [ -n \"$digest\" ]; then\n\
         \x20   echo \"pipec: $image:$t exists: this commit is published as $digest, and every tag of this run names it\"\n\
         \x20   break\n\
         \x20 fi\n\
         done\n\
         if [ -z \"$digest\" ]; then\n\
         \x20 first=\"$(printf '%s\\n' \"$tags\" | awk 'NR == 1 {{ print $1 }}')\"\n\
         {push}\
         \x20 digest=\"$(pipec_digest \"$image:$first\")\"\n\
         \x20 [ -n \"$digest\" ] || {{ echo \"pipec: $image:$first was pushed but has no digest\" >&2; exit 1; }}\n\
         fi\n\
         printf '%s\\n' \"$tags\" | while read -r t kind; do\n\
         \x20 pipec_point \"$image\" \"$t\" \"$digest\" \"$kind\"\n\
         \x20 echo \"pipec: $image:$t -> $digest\"\n\
         done\n\
         release=\"$(pipec_release_{id})\"\n\
         pipec_output release_{id} \"${{release% *}}@${{release#* }}\"\n"
    );
    format!(
        "set -eu\n{}{functions}{body}",
        helpers_for(&format!("{functions}{body}"))
    )
}

/// A script that makes the image this commit was published with available
/// locally as `local` and as the archive `archive`, and says whether it
/// found one (`found=true|false` as a step output): release runs use it
/// instead of building, so that what they scan and promote is the image the
/// commit's branch run built.
pub fn commit_image_script(p: &Publish, local: &str, archive: &str) -> String {
    let local = sh_quote(local);
    commit_lookup(
        p,
        "image",
        &format!(
            "\x20   docker pull \"$image@$digest\"\n\
             \x20   docker tag \"$image@$digest\" {local}\n\
             \x20   docker image save {local} --output {archive}\n\
             \x20   echo found=true >> \"$GITHUB_OUTPUT\"\n"
        ),
        "echo found=false >> \"$GITHUB_OUTPUT\"\n",
    )
}

/// For a multi-platform image in a release run: finds the manifest list the
/// commit was published as and hands its reference on (the step outputs
/// `found=true|false` and `image=<image>@<digest>`), so that the release
/// scans and promotes the list its branch run built instead of building again.
pub fn commit_list_script(p: &Publish) -> String {
    commit_lookup(
        p,
        "manifest list",
        "\x20   pipec_output image \"$image@$digest\"\n\
         \x20   pipec_output found true\n",
        "pipec_output found false\n",
    )
}

/// The search both release-run lookups share: the first of the commit's tags
/// the registry has runs `found` (indented into the loop, with `$image` and
/// `$digest` set) and ends the script; none runs `missing`.
fn commit_lookup(p: &Publish, what: &str, found: &str, missing: &str) -> String {
    let id = p.id.0;
    let functions = commit_tags_function(p);
    let body = format!(
        "image={image}\n\
         for t in $(pipec_commit_tags_{id}); do\n\
         \x20 digest=\"$(pipec_digest \"$image:$t\")\"\n\
         \x20 if [ -n \"$digest\" ]; then\n\
         \x20   echo \"pipec: this commit was published as $image:$t ($digest); the release ships that {what}\"\n\
         {found}\
         \x20   exit 0\n\
         \x20 fi\n\
         done\n\
         echo \"pipec: this commit was never published from a branch run; the release builds it\"\n\
         {missing}",
        image = image_ref(p),
    );
    format!(
        "set -eu\n{}{functions}{body}",
        helpers_for(&format!("{functions}{body}"))
    )
}

/// The step of a multi-platform build job that hands the manifest list on
/// by digest (the step output `image=<reference>@<digest>`): the list a
/// release run found (`PIPEC_COMMIT_IMAGE`), or the one this run pushed as
/// `PIPEC_STAGING` with the digest BuildKit reported (`PIPEC_DIGEST`), once
/// the registry confirms the reference names that digest.
pub fn hand_over_script() -> String {
    let body = "if [ -n \"${PIPEC_COMMIT_IMAGE:-}\" ]; then\n\
                \x20 pipec_output image \"$PIPEC_COMMIT_IMAGE\"\n\
                \x20 exit 0\n\
                fi\n\
                listed=\"$(pipec_digest \"$PIPEC_STAGING\")\"\n\
                [ \"$listed\" = \"$PIPEC_DIGEST\" ] || { echo \"pipec: $PIPEC_STAGING names '$listed', not the manifest list $PIPEC_DIGEST that was built\" >&2; exit 1; }\n\
                echo \"pipec: the manifest list ${PIPEC_STAGING%:*}@$PIPEC_DIGEST goes to the jobs after this one\"\n\
                pipec_output image \"${PIPEC_STAGING%:*}@$PIPEC_DIGEST\"\n";
    format!("set -eu\n{}{body}", helpers_for(body))
}

/// A script that finds the release a deployment started by hand ships —
/// the published image of the ref the pipeline runs on — and hands it to the
/// deployment like a publish job would.
pub fn resolve_script(program: &Program, p: &Publish) -> String {
    let id = p.id.0;
    format!(
        "set -eu\n{functions}release=\"$(pipec_release_{id})\"\n\
         echo \"pipec: $PIPEC_REF_NAME is published as \"{image}\":${{release% *}} (${{release#* }})\"\n\
         pipec_output release_{id} \"${{release% *}}@${{release#* }}\"\n",
        functions = publish_functions(program, p),
        image = image_ref(p),
    )
}

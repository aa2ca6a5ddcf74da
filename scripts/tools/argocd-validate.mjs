#!/usr/bin/env node
// argocd-validate: check Argo CD Application / AppProject / ApplicationSet
// documents against the schemas that @kubernetes-models/argo-cd generates from
// Argo CD v3's Go API types (the same types its CRDs are generated from).
//
// Installed by scripts/install-tools.sh as $PIPEC_TOOLS/bin/argocd-validate,
// which runs this file with the pinned Node 22 from
// $PIPEC_TOOLS/npm/lib/argocd-validate.mjs (so that bare imports resolve to
// $PIPEC_TOOLS/npm/node_modules), beside models-validate.mjs, which does the
// work and documents the output and the checks.
//
// Usage: argocd-validate [--allow-unknown-fields] [--yaml-1.2] FILE...   ("-" = stdin)
//
import { main } from "./models-validate.mjs";
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import { AppProject } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject";
import { ApplicationSet } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/ApplicationSet";

const API_VERSION = "argoproj.io/v1alpha1";

main(
  "argocd-validate",
  {
    Application: [API_VERSION, Application],
    AppProject: [API_VERSION, AppProject],
    ApplicationSet: [API_VERSION, ApplicationSet],
  },
  ["@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application"],
);

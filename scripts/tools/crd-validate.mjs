#!/usr/bin/env node
// crd-validate: check the custom resources pipec writes for progressive
// delivery and monitoring against the models the @kubernetes-models packages
// generate from the projects' own CRDs: Argo Rollouts (Rollout,
// AnalysisTemplate; @kubernetes-models/argo-rollouts), the Prometheus
// operator (PrometheusRule, ServiceMonitor; @kubernetes-models/prometheus-operator)
// and the Gateway API (HTTPRoute; @kubernetes-models/gateway-api).
//
// Installed by scripts/install-tools.sh as $PIPEC_TOOLS/bin/crd-validate, which
// runs this file with the pinned Node 22 from $PIPEC_TOOLS/npm/lib/ (so that
// bare imports resolve to $PIPEC_TOOLS/npm/node_modules), beside
// models-validate.mjs, which does the work and documents the output.
//
// Usage: crd-validate [--allow-unknown-fields] [--yaml-1.2] FILE...   ("-" = stdin)
import { main } from "./models-validate.mjs";
import { Rollout } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout";
import { AnalysisTemplate } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { HTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute";

const ROLLOUTS = "argoproj.io/v1alpha1";
const MONITORING = "monitoring.coreos.com/v1";
const GATEWAY = "gateway.networking.k8s.io/v1";

main(
  "crd-validate",
  {
    Rollout: [ROLLOUTS, Rollout],
    AnalysisTemplate: [ROLLOUTS, AnalysisTemplate],
    PrometheusRule: [MONITORING, PrometheusRule],
    ServiceMonitor: [MONITORING, ServiceMonitor],
    HTTPRoute: [GATEWAY, HTTPRoute],
  },
  [
    "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout",
    "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule",
    "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute",
  ],
);

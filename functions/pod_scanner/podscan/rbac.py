"""The scanner's RBAC, made from the calls it makes (kube.API_CALLS) and NAMESPACES.

`python -m podscan rbac` prints it as YAML for `kubectl apply -f -`:

- NAMESPACES empty (scan every namespace): one ClusterRole with `list pods` and
  `get pods/log`, bound cluster-wide — what k8s/monitor-cronjob.yaml ships;
- NAMESPACES set: a Role and a RoleBinding in each of those namespaces and nothing
  cluster-wide, so the scanner cannot read a pod log anywhere else.

Nothing else is granted: the scanner never reads single pods (`get pods`), writes, or
watches.
"""

from __future__ import annotations

from typing import Any

from .kube import API_CALLS

NAME = "log-center-pod-scanner"
LABELS = {"app.kubernetes.io/name": "pod-scanner", "app.kubernetes.io/component": "monitor",
          "app.kubernetes.io/part-of": "log-center"}


def rules() -> list[dict[str, Any]]:
    by_resource: dict[str, list[str]] = {}
    for verb, resource, sub in API_CALLS:
        by_resource.setdefault(f"{resource}/{sub}" if sub else resource, []).append(verb)
    return [{"apiGroups": [""], "resources": [resource], "verbs": sorted(set(verbs))}
            for resource, verbs in by_resource.items()]


def manifests(namespaces: tuple[str, ...], subject_namespace: str = "log-center",
              service_account: str = "pod-scanner") -> list[dict[str, Any]]:
    subject = [{"kind": "ServiceAccount", "name": service_account, "namespace": subject_namespace}]
    if not namespaces:
        return [
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
             "metadata": {"name": NAME, "labels": dict(LABELS)}, "rules": rules()},
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
             "metadata": {"name": NAME, "labels": dict(LABELS)},
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": NAME},
             "subjects": subject},
        ]
    docs: list[dict[str, Any]] = []
    for namespace in namespaces:
        meta = {"name": NAME, "namespace": namespace, "labels": dict(LABELS)}
        docs.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta,
                     "rules": rules()})
        docs.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": dict(meta),
                     "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": NAME},
                     "subjects": subject})
    return docs


def render(docs: list[dict[str, Any]]) -> str:
    import yaml  # a dependency of the kubernetes client, so in every scanner image

    return yaml.safe_dump_all(docs, sort_keys=False)

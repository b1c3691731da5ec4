"""deploy/, validated as far as a machine without Docker, AWS or a cluster allows: every file
parses; the Dockerfile copies what the repository has and runs real commands; ECS and
Kubernetes run two replicas with the right probes, secrets from the platform's store and the
variables schedule.yaml reads; systemd-analyze and promtool accept their files; the alert
rules and the dashboard use the metrics the service exports; the Slack manifest asks for
exactly the scopes of the Web API methods the code calls."""

from __future__ import annotations

import ast
import fnmatch
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml
from conftest import unavailable

from reconciler.cli import cli
from reconciler.config.models import ServiceConfig
from reconciler.service.metrics import Metrics

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SECRET_NAMES = re.compile(r"TOKEN|PASSWORD|SECRET|DATABASE_URL|WEBHOOK")
SHUTDOWN_GRACE = ServiceConfig().shutdown_grace.total_seconds()
IMAGE_CONFIG = "/app/schedule.yaml"


def template_variables() -> tuple[set[str], set[str]]:
    """(every ${VAR} schedule.yaml reads, those with no default: a deployment must set them)."""
    def strings(node):
        if isinstance(node, dict):
            for value in node.values():
                yield from strings(value)
        elif isinstance(node, list):
            for value in node:
                yield from strings(value)
        elif isinstance(node, str):
            yield node

    text = " ".join(strings(yaml.safe_load((ROOT / "schedule.yaml").read_text())))
    found = re.findall(r"\$\{([A-Z][A-Z0-9_]*)(:?-[^}]*)?\}", text)
    return {name for name, _ in found}, {name for name, default in found if not default}


def command_exists(words: list[str]) -> bool:
    """`reconciler WORDS...` names a real command (options and their values aside)."""
    command: click.Command = cli
    for word in words:
        if word.startswith("-"):
            break
        if not isinstance(command, click.Group) or word not in command.commands:
            return False
        command = command.commands[word]
    return command is not cli and not isinstance(command, click.Group)


def test_every_deploy_file_is_there_and_parses():
    files = sorted(str(p.relative_to(DEPLOY)) for p in DEPLOY.rglob("*") if p.is_file())
    assert files == ["Dockerfile", "Dockerfile.dockerignore", "ecs/service.json", "ecs/target-group.json",
                     "ecs/task-definition.json", "grafana/reconciler-dashboard.json", "kubernetes/reconciler.yaml",
                     "prometheus/alerts.test.yml", "prometheus/alerts.yml", "prometheus/prometheus.yml",
                     "slack/app-manifest.yaml", "systemd/reconciler.env.example", "systemd/reconciler.service"]
    for path in DEPLOY.rglob("*.json"):
        assert isinstance(json.loads(path.read_text()), dict), path
    for path in [*DEPLOY.rglob("*.yml"), *DEPLOY.rglob("*.yaml")]:
        documents = list(yaml.safe_load_all(path.read_text()))
        assert documents and all(isinstance(d, dict) for d in documents), path


# -- Dockerfile ---------------------------------------------------------------------------------------------------

def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    lines, current = [], ""
    for raw in (DEPLOY / "Dockerfile").read_text().splitlines():
        if not current and (not raw.strip() or raw.lstrip().startswith("#")):
            continue
        current += raw.rstrip("\\").strip() + " "
        if not raw.endswith("\\"):
            word, _, rest = current.strip().partition(" ")
            lines.append((word.upper(), rest.strip()))
            current = ""
    return lines


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile()
    start = max(i for i, (word, _) in enumerate(instructions) if word == "FROM")
    return instructions[start:]


def dockerignored(path: str) -> bool:
    """What BuildKit's Dockerfile.dockerignore leaves out of the context (last match wins)."""
    ignored = False
    for line in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate, pattern = line.startswith("!"), line.lstrip("!").rstrip("/")
        if pattern == "**" or fnmatch.fnmatch(path, pattern) or path.startswith(pattern + "/"):
            ignored = not negate
    return ignored


def test_the_dockerfile_is_multi_stage_non_root_and_runs_the_service():
    instructions = dockerfile()
    assert sum(word == "FROM" for word, _ in instructions) >= 2
    final = final_stage()
    users = [args for word, args in final if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    entrypoint = [json.loads(args) for word, args in final if word == "ENTRYPOINT"][-1]
    cmd = [json.loads(args) for word, args in final if word == "CMD"][-1]
    assert entrypoint == ["reconciler"] and command_exists(cmd), (entrypoint, cmd)
    assert cmd == ["schedule"]
    healthcheck = [args for word, args in final if word == "HEALTHCHECK"][-1]
    assert "/health/readiness" in healthcheck
    assert ("EXPOSE", str(ServiceConfig().port)) in final


def test_the_dockerfile_copies_what_the_repository_has_and_the_context_keeps_it():
    sources = []
    for word, args in dockerfile():
        if word == "COPY" and "--from=" not in args:
            *paths, _destination = shlex.split(args)
            sources += paths
    assert set(sources) == {"pyproject.toml", "README.md", "reconciler", "schedule.yaml", "checks", "expectations"}
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
        assert not dockerignored(source), f"COPY {source}: left out of the build context by Dockerfile.dockerignore"
    assert dockerignored(".venv") and dockerignored("reports") and dockerignored(".git")


def test_the_image_bakes_no_secret_and_reads_the_variables_the_template_has():
    reads, _required = template_variables()
    final = final_stage()
    for word, args in dockerfile():
        if word in ("ENV", "ARG"):
            names = re.findall(r"(?:^|\s)([A-Z_][A-Z0-9_]*)=", args) or [args.split("=")[0]]
            assert not [n for n in names if SECRET_NAMES.search(n)], f"{word} {args}"
            assert not re.search(r"://[^/\s:@]+:[^/\s@]+@|xox[abp]-", args), f"{word} {args}"
    env = " ".join(args for word, args in final if word == "ENV")
    for name in re.findall(r"(RECONCILER_[A-Z]+)=", env):
        assert name in reads or name == "RECONCILER_CONFIG", f"ENV {name}: schedule.yaml does not read it"
    assert f"RECONCILER_CONFIG={IMAGE_CONFIG}" in env
    assert ("WORKDIR", str(Path(IMAGE_CONFIG).parent)) in final


# -- ECS ----------------------------------------------------------------------------------------------------------

def ecs(name: str) -> dict:
    return json.loads((DEPLOY / "ecs" / f"{name}.json").read_text())


def test_ecs_runs_two_replicas_behind_the_readiness_check_with_secrets_from_secrets_manager():
    task, service, target = ecs("task-definition"), ecs("service"), ecs("target-group")
    (container,) = task["containerDefinitions"]
    port = container["portMappings"][0]["containerPort"]
    assert service["desiredCount"] == 2
    assert service["loadBalancers"][0]["containerName"] == container["name"]
    assert service["loadBalancers"][0]["containerPort"] == port == target["Port"] == ServiceConfig().port
    assert (target["HealthCheckPath"], target["Matcher"]) == ("/health/readiness", {"HttpCode": "200"})
    assert "/health/liveness" in " ".join(container["healthCheck"]["command"])
    assert container["healthCheck"]["command"][0] == "CMD"
    assert command_exists(container["command"])
    assert container["stopTimeout"] > SHUTDOWN_GRACE
    reads, required = template_variables()
    secrets = {s["name"]: s["valueFrom"] for s in container["secrets"]}
    environment = {e["name"]: e["value"] for e in container["environment"]}
    assert all(arn.startswith("arn:aws:secretsmanager:") for arn in secrets.values())
    assert required <= set(secrets), "a variable schedule.yaml needs is not set"
    assert {"REPORT_DATABASE_URL", "SLACK_BOT_TOKEN"} <= set(secrets)   # the PostgreSQL store; Slack
    assert not [n for n in environment if SECRET_NAMES.search(n)], "a secret in plain environment"
    assert set(secrets) | set(environment) <= reads, "a variable schedule.yaml does not read"
    assert environment["RECONCILER_HOST"] == "0.0.0.0"
    assert container["mountPoints"][0]["containerPath"] == "/app/reports"


# -- Kubernetes ---------------------------------------------------------------------------------------------------

def kubernetes() -> dict[tuple[str, str], dict]:
    docs = yaml.safe_load_all((DEPLOY / "kubernetes" / "reconciler.yaml").read_text())
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def test_kubernetes_runs_two_replicas_with_probes_secrets_and_config():
    objects = kubernetes()
    deployment = objects["Deployment", "shadow-reconciler"]
    pod = deployment["spec"]["template"]
    (container,) = pod["spec"]["containers"]
    assert deployment["spec"]["replicas"] == 2
    assert command_exists(container["args"])
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": ServiceConfig().port}
    assert container["livenessProbe"]["httpGet"] == {"path": "/health/liveness", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/health/readiness", "port": "http"}
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    assert pod["spec"]["terminationGracePeriodSeconds"] > SHUTDOWN_GRACE
    secret_refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"]}
    assert {ref["name"] for ref in secret_refs.values()} == {"shadow-reconciler"}
    reads, required = template_variables()
    assert required | {"REPORT_DATABASE_URL"} <= set(secret_refs)
    (env_from,) = container["envFrom"]
    config = objects["ConfigMap", env_from["configMapRef"]["name"]]["data"]
    assert not [n for n in config if SECRET_NAMES.search(n)], "a secret in a ConfigMap"
    assert set(secret_refs) | set(config) <= reads, "a variable schedule.yaml does not read"
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert volumes[mounts[IMAGE_CONFIG]["name"]]["configMap"]["name"] == "shadow-reconciler-schedule"
    assert mounts[IMAGE_CONFIG]["subPath"] == "schedule.yaml"
    claim = volumes[mounts["/app/reports"]["name"]]["persistentVolumeClaim"]["claimName"]
    assert objects["PersistentVolumeClaim", claim]["spec"]["accessModes"] == ["ReadWriteMany"]
    labels = pod["metadata"]["labels"]
    for kind, name in [("Service", "shadow-reconciler"), ("Service", "shadow-reconciler-pods")]:
        service = objects[kind, name]["spec"]
        assert service["selector"].items() <= labels.items()
        assert [p["targetPort"] for p in service["ports"]] == ["http"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert objects["Service", "shadow-reconciler-pods"]["spec"]["publishNotReadyAddresses"] is True


# -- systemd ------------------------------------------------------------------------------------------------------

UNIT = DEPLOY / "systemd" / "reconciler.service"


def unit_values(key: str) -> list[str]:
    return [line.split("=", 1)[1] for line in UNIT.read_text().splitlines() if line.startswith(f"{key}=")]


def test_the_systemd_unit_runs_real_commands_and_reads_the_template_variables():
    for key in ("ExecStartPre", "ExecStart"):
        (value,) = unit_values(key)
        program, *words = shlex.split(value)
        assert program == "/opt/reconciler/bin/reconciler" and command_exists(words), value
    assert int(unit_values("TimeoutStopSec")[0]) > SHUTDOWN_GRACE
    reads, required = template_variables()
    example = [line.split("=")[0] for line in (DEPLOY / "systemd" / "reconciler.env.example").read_text().splitlines()
               if line and not line.startswith("#")]
    assert required <= set(example) and set(example) <= reads
    assigned = {pair.split("=")[0] for value in unit_values("Environment") for pair in shlex.split(value)}
    assert assigned - {"RECONCILER_CONFIG"} <= reads


def test_systemd_analyze_verifies_the_unit(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (it is optional: the unit's other checks ran)")
    reconciler = Path(sys.executable).parent / "reconciler"   # the console script of the venv running the tests
    assert reconciler.exists()
    unit = tmp_path / "reconciler.service"   # the same unit, with this checkout's reconciler installed
    unit.write_text(UNIT.read_text().replace("/opt/reconciler/bin/reconciler", str(reconciler)))
    done = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


# -- Prometheus and Grafana ---------------------------------------------------------------------------------------

def promtool(*args: str) -> str:
    tool = shutil.which("promtool")
    if tool is None:
        unavailable("promtool is not installed (Debian: apt-get install prometheus)")
    done = subprocess.run([tool, *args], cwd=DEPLOY / "prometheus", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_promtool_accepts_the_scrape_config_and_the_rules():
    assert "SUCCESS" in promtool("check", "config", "prometheus.yml")
    assert "SUCCESS: 7 rules found" in promtool("check", "rules", "alerts.yml")


def test_each_alert_fires_on_its_situation_and_not_on_a_healthy_service():
    assert "SUCCESS" in promtool("test", "rules", "alerts.test.yml")
    tested = set(re.findall(r"alertname: (\w+)", (DEPLOY / "prometheus" / "alerts.test.yml").read_text()))
    defined = set(re.findall(r"- alert: (\w+)", (DEPLOY / "prometheus" / "alerts.yml").read_text()))
    assert tested == defined


def exported_metrics() -> set[str]:
    names = set()
    for metric in Metrics().registry.collect():
        names.add(metric.name + ("_total" if metric.type == "counter" else ""))
    return names


def test_alerts_and_dashboard_use_the_metrics_the_service_exports():
    exported = exported_metrics()
    rules = (DEPLOY / "prometheus" / "alerts.yml").read_text()
    used_by_rules = set(re.findall(r"\breconciler_[a-z_]+\b", rules))
    assert used_by_rules <= exported, used_by_rules - exported
    assert {"reconciler_store_up", "reconciler_last_tick_timestamp_seconds", "reconciler_outbox_depth"} <= used_by_rules
    dashboard = json.loads((DEPLOY / "grafana" / "reconciler-dashboard.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    assert set(re.findall(r"\breconciler_[a-z_]+\b", " ".join(exprs))) == exported   # every metric has a panel
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
    cells = [(p["gridPos"]["x"] + dx, p["gridPos"]["y"] + dy) for p in dashboard["panels"]
             for dx in range(p["gridPos"]["w"]) for dy in range(p["gridPos"]["h"])]
    assert len(cells) == len(set(cells)), "two panels overlap"
    inputs = {i["name"] for i in dashboard["__inputs"]}
    assert {p["datasource"]["uid"] for p in dashboard["panels"]} == {"${" + name + "}" for name in inputs}


# -- Slack --------------------------------------------------------------------------------------------------------

# Web API method -> the bot scopes it needs (https://api.slack.com/methods). A method the code
# starts calling must be added here, and its scopes to deploy/slack/app-manifest.yaml.
METHOD_SCOPES = {
    "chat.postMessage": {"chat:write"},
    "chat.update": {"chat:write"},
    "conversations.list": {"channels:read", "groups:read"},
    "conversations.history": {"channels:history", "groups:history"},
    "conversations.replies": {"channels:history", "groups:history"},
}


def web_api_methods_called() -> set[str]:
    """Every WebClient method named in reconciler/ (called as an attribute or by its name)."""
    from slack_sdk import WebClient
    from slack_sdk.web.base_client import BaseClient

    api = {name for name in vars(WebClient) if not name.startswith("_") and not hasattr(BaseClient, name)}
    found = set()
    for path in (ROOT / "reconciler").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in api:
                found.add(node.attr)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in api:
                found.add(node.value)
    return {name.replace("_", ".") for name in found}


def test_the_slack_manifest_asks_for_exactly_the_scopes_of_the_methods_the_code_calls():
    called = web_api_methods_called()
    assert called == set(METHOD_SCOPES), f"map these methods to their scopes: {called - set(METHOD_SCOPES)}"
    manifest = yaml.safe_load((DEPLOY / "slack" / "app-manifest.yaml").read_text())
    scopes = manifest["oauth_config"]["scopes"]
    assert set(scopes) == {"bot"}
    assert sorted(scopes["bot"]) == sorted(set().union(*METHOD_SCOPES.values()))
    assert 175 <= len(manifest["display_information"]["long_description"]) <= 4000  # Slack's bounds

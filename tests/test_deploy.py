"""docker-compose.yml, the Prometheus, Loki and Alloy configs and the Grafana dashboard refer
only to things that exist: scripts, management commands, the Celery app, settings read from the
environment, URLs, services and ports, metrics, log fields. `docker-compose config -q` checks
the syntax; this checks the meaning."""

import io
import json
import logging
import os
import re
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from celery import Celery
from django.conf import settings
from django.core.management import get_commands
from django.test import Client
from django.urls import Resolver404, resolve
from django.utils.module_loading import import_string
from prometheus_client.parser import text_string_to_metric_families

from marketplace.celery import app as celery_app

REPO = Path(__file__).resolve().parent.parent
APP_IMAGE = "marketplace:latest"
# Read by the images we run, not by our code.
THIRD_PARTY_ENV = re.compile(r"^(POSTGRES_\w+|GF_\w+)$")
URL = re.compile(r"https?://[^\s'\"]+")


@cache
def compose() -> dict[str, Any]:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())  # type: ignore[no-any-return]


def services() -> dict[str, dict[str, Any]]:
    return compose()["services"]  # type: ignore[no-any-return]


def app_services() -> list[str]:
    return [name for name, svc in services().items() if svc.get("image") == APP_IMAGE]


def command_of(service: dict[str, Any]) -> list[str]:
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else list(command)


def healthcheck_of(service: dict[str, Any]) -> list[str]:
    test = service["healthcheck"]["test"]
    if test[0] == "CMD-SHELL":
        return shlex.split(test[1])
    return list(test[1:])


@cache
def read_by_our_code() -> str:
    """The text of everything that reads the environment: the settings (through env.py, by
    quoted name) and the deploy scripts ($NAME / ${NAME...})."""
    sources = [*REPO.glob("marketplace/settings/*.py"), *REPO.glob("deploy/*.sh")]
    sources.append(REPO / "core" / "metrics.py")  # PROMETHEUS_MULTIPROC_DIR
    return "\n".join(path.read_text() for path in sources)


def is_read(name: str) -> bool:
    text = read_by_our_code()
    return f'"{name}"' in text or re.search(rf"\$\{{?{name}\b", text) is not None


def listen_port(service: dict[str, Any]) -> int:
    """The port an app service's server listens on: its PORT, else the image's."""
    env = service.get("environment", {})
    if "PORT" in env:
        return int(env["PORT"])
    # The ENV instruction's continuation line, not the comments.
    match = re.search(r"^\s+PORT=(\d+)$", (REPO / "Dockerfile").read_text(), re.MULTILINE)
    assert match, "the Dockerfile sets no default PORT"
    return int(match.group(1))


WORKERS = ["worker-critical", "worker-default", "worker-media"]


def test_the_app_services_are_the_ones_expected() -> None:
    assert set(app_services()) == {"migrate", "web", "ws", *WORKERS, "beat"}


@pytest.mark.parametrize("name", ["migrate", "web", "ws", *WORKERS, "beat"])
def test_app_service_commands_exist(name: str) -> None:
    argv = command_of(services()[name])

    if argv[0].startswith("deploy/"):
        script = REPO / argv[0]
        assert script.is_file(), f"{name}: {argv[0]} is missing"
        assert os.access(script, os.X_OK), f"{name}: {argv[0]} is not executable"
        assert script.read_text().startswith("#!/bin/sh\n")
        for sourced in re.findall(r'^\. "\$\(dirname "\$0"\)/([\w.-]+)"', script.read_text(), re.M):
            assert (script.parent / sourced).is_file(), f"{argv[0]} sources a missing {sourced}"
    elif argv[:2] == ["python", "manage.py"]:
        assert argv[2] in get_commands(), f"{name}: no management command {argv[2]}"
    elif argv[0] == "celery":
        assert_celery_app(argv)
        scheduler = re.search(r"--scheduler[= ](\S+)", " ".join(argv))
        if scheduler:
            import_string(scheduler.group(1).replace(":", "."))
    else:
        pytest.fail(f"{name}: unrecognised command {argv}")


def assert_celery_app(argv: list[str]) -> None:
    module = argv[argv.index("-A") + 1]
    app = import_string(f"{module}.celery_app")
    assert isinstance(app, Celery)


def test_scripts_start_what_exists() -> None:
    # The servers and apps the entry points exec.
    for script, target in [
        ("web.sh", "marketplace.wsgi.application"),
        ("ws.sh", "marketplace.asgi.application"),
    ]:
        text = (REPO / "deploy" / script).read_text()
        assert target.replace(".application", ":application") in text
        import_string(target)
    assert "celery -A marketplace worker" in (REPO / "deploy" / "worker.sh").read_text()


@pytest.mark.parametrize("name", sorted(compose()["services"]))
def test_every_environment_variable_is_read(name: str) -> None:
    env = services()[name].get("environment", {})
    if name == "prometheus":
        # Only its entrypoint reads METRICS_TOKEN, to write the token file.
        assert list(env) == ["METRICS_TOKEN"]
        assert "$$METRICS_TOKEN" in "\n".join(command_of(services()[name]))
        return
    unread = [var for var in env if not (THIRD_PARTY_ENV.match(var) or is_read(var))]
    assert unread == [], f"{name}: nothing reads {unread}"


@pytest.mark.parametrize("name", ["web", "ws"])
def test_http_healthchecks_ask_a_real_url_on_the_served_port(name: str) -> None:
    service = services()[name]
    (url,) = URL.findall(" ".join(healthcheck_of(service)))
    parts = urlsplit(url)

    assert parts.port == listen_port(service)
    assert parts.hostname in {"127.0.0.1", "localhost"}
    try:
        resolve(parts.path)
    except Resolver404:
        pytest.fail(f"{name}: the healthcheck asks {parts.path}, which no URL serves")
    assert parts.hostname in compose()["x-app-env"]["ALLOWED_HOSTS"]


def test_the_probe_urls_answer(client: Client, db: Any) -> None:
    for name in ("web", "ws"):
        (url,) = URL.findall(" ".join(healthcheck_of(services()[name])))
        assert client.get(urlsplit(url).path).status_code == 200


@pytest.mark.parametrize("name", WORKERS)
def test_worker_healthcheck_pings_the_celery_app(name: str) -> None:
    argv = healthcheck_of(services()[name])

    assert argv[:3] == ["env", "-u", "PROMETHEUS_MULTIPROC_DIR"]
    assert argv[3:5] == ["celery", "-A"]
    assert_celery_app(argv)


# --- Celery queues ----------------------------------------------------------------------------


def queue_of(task_name: str) -> str:
    return str(celery_app.amqp.router.route({}, task_name)["queue"].name)


def routed_queues() -> set[str]:
    return {queue_of(name) for name in celery_app.tasks if not name.startswith("celery.")}


def consumed_by(argv: list[str]) -> set[str]:
    """The queues a `celery worker` command line names with --queues / -Q."""
    flags = [i for i, arg in enumerate(argv) if arg in ("--queues", "-Q")]
    return {queue for i in flags for queue in argv[i + 1].split(",")}


def test_tasks_route_by_name_to_their_queues() -> None:
    assert queue_of("accounts.send_sms") == "critical"
    assert queue_of("accounts.send_push") == "critical"
    assert queue_of("promotions.expire_unpaid_payments") == "critical"
    assert queue_of("listings.process_video") == "media"
    assert queue_of("moderation.precheck_listing") == "default"
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert queue_of(entry["task"]) in {"default", "critical"}
    assert routed_queues() == {"critical", "default", "media"}


def test_each_queue_has_worker_services_of_its_own() -> None:
    queues = {name: services()[name]["environment"]["CELERY_QUEUES"] for name in WORKERS}

    assert queues == {
        "worker-critical": "critical",
        "worker-default": "default",
        "worker-media": "media",
    }
    for name in WORKERS:
        assert command_of(services()[name]) == ["deploy/worker.sh"]
        assert "CELERY_CONCURRENCY" in services()[name]["environment"]
    worker_sh = (REPO / "deploy" / "worker.sh").read_text()
    assert '--queues "${CELERY_QUEUES:-critical,default,media}"' in worker_sh


def test_a_video_encode_cannot_hold_up_a_login_sms() -> None:
    # The SMS goes to a queue whose workers take nothing else: an encode runs elsewhere.
    sms, encode = queue_of("accounts.send_sms"), queue_of("listings.process_video")
    assert sms != encode
    compose_consumers = [
        set(services()[name]["environment"]["CELERY_QUEUES"].split(",")) for name in WORKERS
    ]
    assert {sms} in compose_consumers
    assert all(encode not in queues for queues in compose_consumers if sms in queues)
    make_workers = make_worker_commands()
    assert [sms] in [sorted(consumed_by(argv)) for argv in make_workers]
    assert all(encode not in consumed_by(argv) for argv in make_workers if sms in consumed_by(argv))


def make_worker_commands() -> list[list[str]]:
    recipe = (REPO / "Makefile").read_text().split("\nworker:", 1)[1].split("\n\n", 1)[0]
    commands = shlex.split(recipe.replace("\\\n", " "))
    starts = [i for i, arg in enumerate(commands) if arg.endswith("/celery")]
    return [commands[i : i + commands[i:].index("&")] for i in starts]


def test_every_worker_started_anywhere_consumes_every_queue() -> None:
    """`make worker` (all its workers together), and the workers that the load test and the
    fault tests start on loopback: a queue nobody consumes would keep its tasks forever."""
    assert set().union(*map(consumed_by, make_worker_commands())) == routed_queues()
    for path in ("bench/load.py", "tests/test_faults.py"):
        text = (REPO / path).read_text()
        assert '"--queues", "critical,default,media"' in text, path


def test_beat_healthcheck_reads_the_pidfile_beat_writes() -> None:
    command = " ".join(command_of(services()["beat"]))
    (pidfile,) = re.findall(r"--pidfile=(\S+)", command)

    assert f"open('{pidfile}')" in " ".join(healthcheck_of(services()["beat"]))


def test_bind_mounts_exist() -> None:
    for name, service in services().items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), f"{name}: {source} is missing"


def test_depends_on_name_services() -> None:
    for name, service in services().items():
        missing = set(service.get("depends_on", {})) - set(services())
        assert not missing, f"{name} depends on missing {missing}"


# --- Prometheus and Grafana -------------------------------------------------------------------


def prometheus_config() -> dict[str, Any]:
    return yaml.safe_load((REPO / "deploy/prometheus/prometheus.yml").read_text())  # type: ignore[no-any-return]


def mounted_at(service: str, container_path: str) -> Path:
    for volume in services()[service]["volumes"]:
        source, target = volume.split(":")[:2]
        if target == container_path:
            return REPO / source
    raise AssertionError(f"{service} mounts nothing at {container_path}")


def test_prometheus_reads_the_config_and_rules_in_the_repo() -> None:
    command = " ".join(command_of(services()["prometheus"]))
    (config,) = re.findall(r"--config\.file=(\S+)", command)

    assert mounted_at("prometheus", config) == REPO / "deploy/prometheus/prometheus.yml"
    for rule_file in prometheus_config()["rule_files"]:
        assert mounted_at("prometheus", rule_file).is_file()


def test_prometheus_scrapes_real_services_on_their_ports() -> None:
    targets: list[tuple[str, int, dict[str, Any]]] = []
    for job in prometheus_config()["scrape_configs"]:
        if job["job_name"] == "prometheus":
            continue
        for static in job.get("static_configs", []):
            for target in static["targets"]:
                host, port = target.split(":")
                targets.append((host, int(port), static.get("labels", {})))
        for dns in job.get("dns_sd_configs", []):
            targets.extend((host, dns["port"], {}) for host in dns["names"])

    assert {host for host, _, _ in targets} == {"web", "ws", *WORKERS}
    for host, port, labels in targets:
        service = services()[host]
        if host in WORKERS:
            assert port == int(service["environment"]["CELERY_METRICS_PORT"])
            assert "PROMETHEUS_MULTIPROC_DIR" in service["environment"]
        else:
            assert port == listen_port(service)
            assert labels.get("service") == host
            # Django answers the scrape only for a host it allows.
            assert host in compose()["x-app-env"]["ALLOWED_HOSTS"]


def test_grafana_provisions_the_prometheus_service_and_the_dashboards() -> None:
    datasources = yaml.safe_load(
        (REPO / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text()
    )
    (url,) = [source["url"] for source in datasources["datasources"]]
    parts = urlsplit(url)
    assert parts.hostname in services()
    assert f"127.0.0.1:{parts.port}:{parts.port}" in services()[parts.hostname]["ports"]

    providers = yaml.safe_load(
        (REPO / "deploy/grafana/provisioning/dashboards/marketplace.yml").read_text()
    )
    dashboards = REPO / "deploy/grafana/dashboards"
    for provider in providers["providers"]:
        assert mounted_at("grafana", provider["options"]["path"]) == dashboards


def dashboard_expressions() -> list[str]:
    dashboard = json.loads((REPO / "deploy/grafana/dashboards/marketplace.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def alert_expressions() -> list[str]:
    rules = yaml.safe_load((REPO / "deploy/prometheus/alerts.yml").read_text())
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def test_dashboard_and_alerts_use_only_metrics_the_app_exports(client: Client, db: Any) -> None:
    text = client.get("/metrics").content.decode()
    exported = set()
    for family in text_string_to_metric_families(text):
        exported.add(family.name)
        exported.update(sample.name for sample in family.samples)

    used = set()
    for expr in [*dashboard_expressions(), *alert_expressions()]:
        used.update(re.findall(r"\b((?:django|marketplace)_\w+)", expr))
    suffixes = ("_total", "_bucket", "_count", "_sum")
    missing = sorted(
        name
        for name in used
        if name not in exported and not any(name.removesuffix(s) in exported for s in suffixes)
    )
    assert missing == []


def test_the_dashboard_shows_every_figure_issue_10_asks_for() -> None:
    shown = " ".join(dashboard_expressions())
    for metric in [
        "marketplace_http_requests_total",
        "marketplace_http_request_duration_seconds_bucket",
        "django_db_execute_total",
        "marketplace_listings_created_total",
        "marketplace_listings{",
        "marketplace_promotions_active",
        "marketplace_chat_messages_total",
        "marketplace_active_users",
        "marketplace_moderation_queue_size",
        "marketplace_moderation_oldest_pending_seconds",
        "marketplace_celery_tasks_total",
        "marketplace_celery_task_duration_seconds_bucket",
        "marketplace_chat_connections_open",
        "marketplace_db_pool_size",
        "marketplace_db_pool_available",
        "marketplace_db_pool_requests_waiting",
    ]:
        assert metric in shown, f"the dashboard does not show {metric}"


def test_the_dashboard_shows_database_statement_durations() -> None:
    shown = dashboard_expressions()
    for quantile in ("0.5", "0.95", "0.99"):
        assert (
            f"histogram_quantile({quantile}, sum by (le) "
            "(rate(marketplace_db_query_duration_seconds_bucket[1m])))"
        ) in shown


def test_alerts_cover_errors_latency_queue_age_and_failing_tasks() -> None:
    rules = " ".join(alert_expressions())
    for metric in [
        "marketplace_http_requests_total",
        "marketplace_http_request_duration_seconds_bucket",
        "marketplace_moderation_oldest_pending_seconds",
        'marketplace_celery_tasks_total{job="celery", state="failure"}',
    ]:
        assert metric in rules


# --- Logs: Loki, Alloy and the Logs panel -----------------------------------------------------

ALLOY_CONFIG = "/etc/alloy/config.alloy"


def loki_config() -> dict[str, Any]:
    command = " ".join(command_of(services()["loki"]))
    (path,) = re.findall(r"-config\.file=(\S+)", command)
    return yaml.safe_load(mounted_at("loki", path).read_text())  # type: ignore[no-any-return]


def alloy_config() -> str:
    assert command_of(services()["alloy"])[-1] == ALLOY_CONFIG
    return mounted_at("alloy", ALLOY_CONFIG).read_text()


def alloy_block(kind: str) -> str:
    """The body of the first `kind { ... }` block of the Alloy config: up to the `}` indented
    as the block's first line."""
    pattern = rf"^([ \t]*){re.escape(kind)}\s*\{{(.*?)^\1\}}"
    match = re.search(pattern, alloy_config(), re.S | re.M)
    assert match, f"the Alloy config has no {kind} block"
    return match.group(2)


def logs_panel() -> dict[str, Any]:
    dashboard = json.loads((REPO / "deploy/grafana/dashboards/marketplace.json").read_text())
    (panel,) = [panel for panel in dashboard["panels"] if panel["type"] == "logs"]
    return panel  # type: ignore[no-any-return]


def dashboard_variables() -> dict[str, dict[str, Any]]:
    dashboard = json.loads((REPO / "deploy/grafana/dashboards/marketplace.json").read_text())
    return {variable["name"]: variable for variable in dashboard["templating"]["list"]}


@pytest.mark.parametrize("name", sorted(set(compose()["services"]) - set(app_services())))
def test_third_party_images_are_pinned_to_a_tag(name: str) -> None:
    image = services()[name]["image"]
    repository, _, tag = image.rpartition(":")

    assert repository, f"{name}: {image} names no tag"
    assert "/" not in tag, f"{name}: {image} names no tag"
    assert tag != "latest"
    if name in ("loki", "alloy"):
        assert re.fullmatch(r"v?\d+\.\d+\.\d+", tag), f"{name}: {tag} is not an exact version"


def test_alloy_ships_the_logs_of_every_service_and_only_this_stacks() -> None:
    ((key, value),) = compose()["x-logs-label"].items()
    for name, service in services().items():
        assert service.get("labels") == {key: value}, f"{name}'s logs are not shipped"

    discovery = alloy_block('discovery.docker "containers"')
    assert 'name   = "label"' in discovery
    assert f'values = ["{key}={value}"]' in discovery


def test_alloy_reads_docker_through_the_read_only_socket_and_pushes_to_loki() -> None:
    socket = "/var/run/docker.sock"
    assert f"{socket}:{socket}:ro" in services()["alloy"]["volumes"]
    for block in ('discovery.docker "containers"', 'loki.source.docker "containers"'):
        assert f'host = "unix://{socket}"' in re.sub(r"\s+", " ", alloy_block(block))

    (url,) = re.findall(r'url\s*=\s*"([^"]+)"', alloy_block('loki.write "loki"'))
    parts = urlsplit(url)
    assert parts.hostname == "loki"
    assert parts.port == loki_config()["server"]["http_listen_port"]
    assert parts.path == "/loki/api/v1/push"
    # Positions survive a restart of the container.
    assert any(v.endswith(":/var/lib/alloy/data") for v in services()["alloy"]["volumes"])
    assert "--storage.path=/var/lib/alloy/data" in command_of(services()["alloy"])


def test_only_low_cardinality_fields_become_loki_labels() -> None:
    """A label per value is a stream per value: a request id as a label would make one per
    request. It stays in the line, for `| json`."""
    labels = set(re.findall(r"^\s*(\w+)\s*=", alloy_block("stage.labels"), re.M)) - {"values"}
    relabelled = set(re.findall(r'target_label\s*=\s*"(\w+)"', alloy_config()))

    assert labels == {"level"}
    assert relabelled == {"project", "service", "container"}
    assert "structured_metadata" not in alloy_config()


def test_loki_keeps_14_days_on_its_volume_with_schema_v13() -> None:
    config = loki_config()

    (schema,) = config["schema_config"]["configs"]
    assert (schema["schema"], schema["store"], schema["object_store"]) == (
        "v13",
        "tsdb",
        "filesystem",
    )
    assert schema["index"]["period"] == "24h"  # retention needs it
    assert config["compactor"]["retention_enabled"] is True
    assert config["limits_config"]["retention_period"] == "336h"
    prefix = config["common"]["path_prefix"]
    assert f"loki-data:{prefix}" in services()["loki"]["volumes"]
    for path in config["common"]["storage"]["filesystem"].values():
        assert path.startswith(f"{prefix}/")


def test_loki_answers_on_loopback_only_and_checks_its_own_health() -> None:
    port = loki_config()["server"]["http_listen_port"]

    assert services()["loki"]["ports"] == [f"127.0.0.1:{port}:{port}"]
    assert healthcheck_of(services()["loki"]) == ["/usr/bin/loki", "-health"]
    assert "loki" in services()["grafana"]["depends_on"]


def test_grafana_provisions_loki_with_the_uid_the_logs_panel_uses() -> None:
    datasources = yaml.safe_load(
        (REPO / "deploy/grafana/provisioning/datasources/loki.yml").read_text()
    )
    (source,) = datasources["datasources"]
    parts = urlsplit(source["url"])

    assert source["type"] == "loki"
    assert parts.hostname == "loki"
    assert parts.port == loki_config()["server"]["http_listen_port"]
    panel = logs_panel()
    assert panel["datasource"] == {"type": "loki", "uid": source["uid"]}
    assert all(target["datasource"]["uid"] == source["uid"] for target in panel["targets"])


def test_the_logs_panel_filters_by_request_id_level_and_route() -> None:
    (target,) = logs_panel()["targets"]
    expr = target["expr"]
    selector, pipeline = expr.split("}", 1)

    # The stream selector names exactly the app services, and the level label Alloy sets.
    (services_regex,) = re.findall(r'service=~"([^"]+)"', selector)
    assert {name for name in services() if re.fullmatch(services_regex, name)} == set(
        app_services()
    )
    assert 'level=~"$level"' in selector
    # The line's own fields, parsed from its JSON; empty text boxes match every line.
    assert pipeline.startswith(" | json |")
    assert "request_id=~`${request_id:regex}.*`" in pipeline
    assert "route=~`${route:regex}.*`" in pipeline

    variables = dashboard_variables()
    assert variables["request_id"]["type"] == "textbox"
    assert variables["route"]["type"] == "textbox"
    level = variables["level"]
    assert level["type"] == "custom"
    assert level["query"].split(",") == ["debug", "info", "warning", "error", "critical"]
    assert (level["includeAll"], level["allValue"]) == (True, ".*")


def test_the_logs_panel_filters_by_fields_the_app_logs(client: Client, db: Any) -> None:
    from tests.test_logging import make_formatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(make_formatter(json_lines=True))
    logging.getLogger().addHandler(handler)
    try:
        client.get("/healthz")
    finally:
        logging.getLogger().removeHandler(handler)

    (access,) = [
        line
        for line in map(json.loads, stream.getvalue().splitlines())
        if line["logger"] == "marketplace.access"
    ]
    (target,) = logs_panel()["targets"]
    filtered = set(re.findall(r"\b(\w+)=~", target["expr"])) - {"service"}
    assert filtered == {"level", "request_id", "route"}
    assert filtered <= set(access)
    assert access["level"] in dashboard_variables()["level"]["query"].split(",")


def test_the_plan_tests_and_the_bench_set_postgres_as_production_does() -> None:
    from bench.feed_search import PRODUCTION_POSTGRES
    from tests.plans import PLANNERS

    settings = {
        name: value.removeprefix("${").split(":-")[-1].removesuffix("}")
        for name, value in (
            argument.split("=", 1)
            for argument in command_of(services()["postgres"])
            if "=" in argument
        )
    }
    assert settings == PRODUCTION_POSTGRES
    assert PLANNERS["production"] == {
        name: settings[name] for name in ("random_page_cost", "effective_cache_size")
    }


def test_a_socket_worker_collects_garbage_seldom_and_skips_what_startup_made() -> None:
    # In a process of its own, as uvicorn's workers load the application.
    probe = (
        "import gc, marketplace.asgi;print(gc.get_threshold()[0], gc.get_freeze_count() > 100_000)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "marketplace.settings.test"}
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["50000", "True"]

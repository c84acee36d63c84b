"""Checks that deploy/'s files agree with each other, with the image and with the worker.

scripts/lint-deploy runs this after the schema checks (hadolint, the compose spec, Kubernetes'
own schemas, deploy/lint/keda-schema.json), which see each file alone. Here the files are read
together: the port the API listens on in the image is the one every probe, healthcheck and
Service calls; the KEDA trigger watches the Redis list the workers consume, at the address they
use; grace periods are above the drain; the user, the volume and the writable folders are the
image's; and the environment compose and Kubernetes give the worker is a configuration the real
`meetbot check-config` accepts (unknown keys stop the worker at start-up, so a typo here would
be a crash loop in production).

    python3 deploy/lint/consistency.py REPO_ROOT MEETBOT_BINARY
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import jsonschema
import yaml

# The bot leaves within 20 s of being asked (runner), then the recording is finalized and stored.
LEAVE_SECS = 20
# Least time any grace period must leave after the drain for leaving, finalizing and uploading.
AFTER_DRAIN_MIN_SECS = 60

failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def load_yaml_all(path):
    with open(path, encoding="utf-8") as f:
        return [doc for doc in yaml.safe_load_all(f) if doc is not None]


def interpolate(value, env):
    """Compose's ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}."""

    def one(match):
        name, op, arg = match.group(1), match.group(2) or "", match.group(3) or ""
        if op in (":-", "-"):
            return env.get(name) or arg if op == ":-" else env.get(name, arg)
        if op in (":?", "?"):
            if name not in env or (op == ":?" and not env[name]):
                raise KeyError(f"{name}: {arg}")
            return env[name]
        return env.get(name, "")

    return re.sub(r"\$\{(\w+)(:-|-|:\?|\?)?([^}]*)\}", one, value)


def compose_variables(text):
    """Every ${...} of the compose file: (name, operator)."""
    return re.findall(r"\$\{(\w+)(:-|-|:\?|\?)?[^}]*\}", text)


def duration_secs(text):
    """Compose durations like 12m, 90s, 1h30m."""
    total, found = 0, False
    for amount, unit in re.findall(r"(\d+)(h|m|s)", text):
        total += int(amount) * {"h": 3600, "m": 60, "s": 1}[unit]
        found = True
    if not found:
        raise ValueError(f"not a duration: {text}")
    return total


def check_config(binary, env, what):
    """`meetbot check-config` with the image's file and `env` (nothing else from this shell)."""
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    result = subprocess.run(
        [binary, "check-config"], env={**base, **env}, capture_output=True, text=True, timeout=30
    )
    check(result.returncode == 0, f"`meetbot check-config` accepts {what}")
    if result.returncode != 0:
        print("      " + (result.stderr or result.stdout).strip().replace("\n", "\n      "))
        return None
    return result.stdout


def check_staged_tree(repo, binary, plan, image_config):
    """Lays out the image's files with scripts/stage-image (from the build `binary` belongs to) and
    checks the tree: the paths the Dockerfile and the image's config name, folder modes the
    worker's plugin-folder rule accepts, and the three platform plugins loading from there."""
    plugin_dir = image_config["plugins"]["dirs"][0]
    config_path = plan["env"]["MEETBOT_CONFIG"]
    entry = plan["entrypoint"][-1]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        result = subprocess.run([repo / "scripts/stage-image", Path(binary).parent, root], capture_output=True, text=True)
        check(result.returncode == 0, "scripts/stage-image lays out the image's files")
        if result.returncode != 0:
            print("      " + result.stderr.strip())
            return
        files = sorted("/" + str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
        expected = sorted([entry, config_path] + [f"{plugin_dir}/libmeetbot_plugin_{name}.so"
                                                  for name in ("google", "microsoft", "zoom")])
        check(files == expected, f"the staged tree is exactly the worker, its config and three plugins: {files}")
        # debian:bookworm-slim has glibc (libc6) and libgcc-s1, both required packages; anything
        # else the worker or a plugin links would have to be installed by the Dockerfile.
        base_libs = {"linux-vdso.so.1", "libc.so.6", "libm.so.6", "libgcc_s.so.1", "libpthread.so.0",
                     "libdl.so.2", "librt.so.1", "ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2"}
        for path in (root / f.lstrip("/") for f in files if not f.endswith(".toml")):
            ldd = subprocess.run(["ldd", path], capture_output=True, text=True).stdout
            needed = {line.split()[0] for line in ldd.splitlines() if line.strip()}
            check(needed <= base_libs, f"{path.name} links only glibc and libgcc, which debian:bookworm-slim has "
                                       f"(others: {sorted(needed - base_libs) or 'none'})")
        loose = [str(p) for p in [root, *root.rglob("*")] if p.is_dir() and p.stat().st_mode & 0o022]
        check(not loose, f"no staged folder is writable by group or others (the worker refuses such plugin folders): {loose}")
        result = subprocess.run(
            [root / entry.lstrip("/"), "plugins"],
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "MEETBOT_CONFIG": str(root / config_path.lstrip("/")),
                 "MEETBOT__PLUGINS__DIRS": json.dumps([str(root / plugin_dir.lstrip("/"))]),
                 "MEETBOT__API__AUTH_TOKEN": "lint-token"},
            capture_output=True, text=True, timeout=30)
        listed = result.stdout
        check(result.returncode == 0 and all(p in listed for p in ("google", "microsoft", "zoom"))
              and "refused" not in listed,
              "`meetbot plugins` loads the google, microsoft and zoom plugins from the staged plugin folder")
        if result.returncode != 0 or "refused" in listed:
            print("      " + (listed + result.stderr).strip().replace("\n", "\n      "))


def main(repo, binary):
    repo = Path(repo)
    plan = json.loads(subprocess.run([repo / "scripts/dockerfile-plan", repo / "deploy/Dockerfile"],
                                     check=True, capture_output=True, text=True).stdout)
    image_config = tomllib.loads((repo / "deploy/meetbot.toml").read_text())
    defaults = tomllib.loads((repo / "config/default.toml").read_text())

    # --- The image -----------------------------------------------------------------------------
    print("== the image (deploy/Dockerfile, deploy/meetbot.toml, scripts/stage-image)")
    api_port = image_config["api"]["listen"].rsplit(":", 1)[1]
    check(plan["expose"] == [api_port], f"EXPOSE {plan['expose']} is api.listen's port {api_port}")
    health_url = plan["healthcheck"]["cmd"][-1]
    check(health_url == f"http://127.0.0.1:{api_port}/health", f"HEALTHCHECK calls /health on {api_port}: {health_url}")
    check(plan["entrypoint"][:2] in (["/usr/bin/tini", "--"], ["/usr/bin/dumb-init", "--"]),
          f"an init that reaps orphans is PID 1: {plan['entrypoint']}")
    installs = plan["run"][0]
    for package in ("chromium", "ffmpeg", "tini", "curl", "fonts-liberation"):
        check(re.search(rf"(^|\s){re.escape(package)}(\s|$)", installs) is not None, f"the image installs {package}")
    check(image_config["browser"]["executable"] == "/usr/bin/chromium", "browser.executable is Debian's /usr/bin/chromium")
    check("--no-sandbox" in image_config["browser"]["args"], "browser.args carries --no-sandbox (see deploy/meetbot.toml)")
    uid = plan["user"].split(":")[0]
    check(uid.isdigit() and uid != "0", f"USER is a numeric non-root uid ({plan['user']}): runAsNonRoot can verify it")
    gid = plan["user"].split(":")[1] if ":" in plan["user"] else uid
    runs = " ".join(plan["run"])
    check(f"--uid {uid}" in runs and f"--gid {gid}" in runs, f"the image creates the user {uid} and its group {gid}")
    volume = plan["volumes"][0]
    check(plan["workdir"] == volume and plan["env"].get("HOME") == volume, f"WORKDIR and HOME are the volume {volume}")
    for key in (("recording", "spool_dir"), ("storage", "local", "dir")):
        value = image_config
        for part in key:
            value = value[part]
        check(value.startswith(volume + "/"), f"{'.'.join(key)} = {value} is on the volume")
    check_staged_tree(repo, binary, plan, image_config)

    # --- compose -------------------------------------------------------------------------------
    print("== deploy/compose.yaml")
    compose_text = (repo / "deploy/compose.yaml").read_text()
    compose = yaml.safe_load(compose_text)
    services = compose["services"]
    worker = services["worker"]
    for name, op in sorted(set(compose_variables(compose_text))):
        check(op != "", f"${{{name}}} has a default or a required-error (no silently empty variable)")
    token_value = worker["environment"]["MEETBOT__API__AUTH_TOKEN"]
    check(re.fullmatch(r"\$\{\w+:\?[^}]+\}", token_value) is not None,
          "the API token comes from a required variable, never a value in the file")
    check((repo / "deploy" / worker["build"]["context"] / worker["build"]["dockerfile"]).resolve()
          == (repo / "deploy/Dockerfile").resolve(), "the worker is built from deploy/Dockerfile")
    for name, service in services.items():
        for dep in service.get("depends_on", {}):
            check(dep in services, f"{name} depends on {dep}, a service of the file")
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if not source.startswith((".", "/")):
                check(source in compose.get("volumes", {}), f"{name}'s volume {source} is declared")
    check(any(m.split(":")[1] == volume for m in worker["volumes"]), f"the worker's data volume is at {volume}")
    check(worker.get("read_only") is True and "/tmp" in worker.get("tmpfs", []), "read-only root with /tmp a tmpfs")
    check(worker.get("cap_drop") == ["ALL"] and "no-new-privileges:true" in worker.get("security_opt", []),
          "no capabilities, no privilege escalation")
    check("user" not in worker, "the image's USER is kept")
    check(all(str(p).endswith(f":{api_port}") for p in worker["ports"]), f"the published port is the API's {api_port}")
    drain = int(worker["environment"]["MEETBOT__WORKER__DRAIN_TIMEOUT_SECS"])
    grace = duration_secs(worker["stop_grace_period"])
    check(grace >= drain + LEAVE_SECS + AFTER_DRAIN_MIN_SECS,
          f"stop_grace_period {grace} s > drain {drain} s + leaving {LEAVE_SECS} s + {AFTER_DRAIN_MIN_SECS} s to store")
    redis_cmd = services["redis"]["command"]
    check("--appendonly" in redis_cmd and redis_cmd[redis_cmd.index("--appendonly") + 1] == "yes",
          "Redis persists (appendonly yes): the delivery guarantees hold across its restarts")

    shell = {"MEETBOT_API_TOKEN": "lint-token"}
    compose_env = {k: interpolate(str(v), shell) for k, v in worker["environment"].items()}
    check_config(binary, {**plan["env"], "MEETBOT_CONFIG": str(repo / "deploy/meetbot.toml"), **compose_env},
                 "the image's config with compose's worker environment")
    s3_env = {k: interpolate(str(v), {**shell, "MEETBOT_STORAGE_KIND": "s3"}) for k, v in worker["environment"].items()}
    check_config(binary, {**plan["env"], "MEETBOT_CONFIG": str(repo / "deploy/meetbot.toml"), **s3_env},
                 "the same with MEETBOT_STORAGE_KIND=s3 (the s3 profile)")

    # --- Kubernetes ----------------------------------------------------------------------------
    print("== deploy/k8s/")
    k8s = repo / "deploy/k8s"
    kustomization = yaml.safe_load((k8s / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    on_disk = {p.name for p in k8s.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    check(listed == on_disk, f"kustomization lists every manifest but the example Secret: {sorted(listed)}")
    objects = {}
    for path in sorted(k8s.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in load_yaml_all(path):
            objects[(doc["kind"], doc["metadata"]["name"])] = doc
    deployment = objects[("Deployment", "meetbot-worker")]
    configmap = objects[("ConfigMap", "meetbot")]
    secret = objects[("Secret", "meetbot")]
    service = objects[("Service", "meetbot-worker")]
    pdb = objects[("PodDisruptionBudget", "meetbot-worker")]
    scaled = objects[("ScaledObject", "meetbot-worker")]
    trigger_auth = objects[("TriggerAuthentication", "meetbot-redis")]

    schema = json.loads((repo / "deploy/lint/keda-schema.json").read_text())
    for obj in (scaled, trigger_auth):
        try:
            jsonschema.validate(obj, schema)
            check(True, f"{obj['kind']} {obj['metadata']['name']} matches deploy/lint/keda-schema.json")
        except jsonschema.ValidationError as error:
            check(False, f"{obj['kind']} {obj['metadata']['name']}: {error.message} at {list(error.absolute_path)}")

    pod = deployment["spec"]["template"]
    container = pod["spec"]["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    check(ports.get("http") == int(api_port), f"container port `http` is the API's {api_port}")
    probes = {name: container[name]["httpGet"] for name in ("startupProbe", "livenessProbe", "readinessProbe")}
    check(probes["livenessProbe"]["path"] == "/health" and probes["startupProbe"]["path"] == "/health",
          "liveness and startup probe /health")
    check(probes["readinessProbe"]["path"] == "/readyz", "readiness probe /readyz")
    check(all(p["port"] == "http" for p in probes.values()), "the probes call port `http`")
    env = {e["name"]: e for e in container.get("env", [])}
    worker_id = env.get("MEETBOT__WORKER__ID", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
    check(worker_id == "metadata.name", "MEETBOT__WORKER__ID is the pod name (downward API)")
    env_from = {next(iter(e)): next(iter(e.values()))["name"] for e in container["envFrom"]}
    check(env_from.get("configMapRef") == "meetbot" and env_from.get("secretRef") == "meetbot",
          "the ConfigMap and the Secret are the container's environment")
    data = configmap["data"]
    drain = int(data["MEETBOT__WORKER__DRAIN_TIMEOUT_SECS"])
    grace = pod["spec"]["terminationGracePeriodSeconds"]
    check(grace >= drain + LEAVE_SECS + AFTER_DRAIN_MIN_SECS,
          f"terminationGracePeriodSeconds {grace} s > drain {drain} s + leaving {LEAVE_SECS} s + {AFTER_DRAIN_MIN_SECS} s to store")
    max_duration = int(data.get("MEETBOT__AUTO_LEAVE__MAX_DURATION_SECS", defaults["auto_leave"]["max_duration_secs"]))
    check(drain >= max_duration, f"the drain ({drain} s) lets any meeting reach max_duration ({max_duration} s)")
    check("lifecycle" not in container, "no preStop hook: SIGTERM drains")
    check(pod["spec"].get("enableServiceLinks") is False, "no service-link variables (a `redis` Service would set REDIS_PORT)")
    security = pod["spec"]["securityContext"]
    check(str(security["runAsUser"]) == uid and str(security["runAsGroup"]) == gid and security.get("runAsNonRoot") is True,
          f"runs as the image's uid {uid} and gid {gid}")
    csec = container["securityContext"]
    check(csec.get("readOnlyRootFilesystem") is True and csec.get("allowPrivilegeEscalation") is False
          and csec.get("capabilities", {}).get("drop") == ["ALL"], "read-only root, no escalation, no capabilities")
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    check({volume, "/tmp"} <= mounts, f"writable {volume} and /tmp under the read-only root")
    resources = container["resources"]
    check(all(k in resources.get("requests", {}) for k in ("cpu", "memory")) and "memory" in resources.get("limits", {}),
          "CPU and memory requested, memory limited")
    quantity = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$")
    for kind in ("requests", "limits"):
        for name, value in resources.get(kind, {}).items():
            check(quantity.match(str(value)) is not None, f"resources.{kind}.{name} = {value} is a quantity")
    labels = pod["metadata"]["labels"]
    check(deployment["spec"]["selector"]["matchLabels"].items() <= labels.items(), "the Deployment selects its pods")
    check(service["spec"]["selector"].items() <= labels.items(), "the Service selects the worker pods")
    check(service["spec"]["ports"][0]["targetPort"] == "http", "the Service sends to port `http`")
    check(pdb["spec"]["selector"]["matchLabels"].items() <= labels.items(), "the PodDisruptionBudget covers the worker pods")

    check(scaled["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"], "KEDA scales the worker Deployment")
    spec = scaled["spec"]
    check(spec["minReplicaCount"] <= spec["maxReplicaCount"], "minReplicaCount <= maxReplicaCount")
    triggers = {t["name"]: t for t in spec["triggers"]}
    redis_trigger = next(t for t in spec["triggers"] if t["type"] == "redis")
    address = f"{data['REDIS_HOST']}:{data['REDIS_PORT']}"
    check(redis_trigger["metadata"]["address"] == address, f"the redis trigger watches the workers' Redis {address}")
    queue = data.get("MEETBOT__REDIS__QUEUE", data.get("REDIS_QUEUE_NAME", defaults["redis"]["queue"]))
    check(redis_trigger["metadata"]["listName"] == queue, f"the redis trigger watches redis.queue ({queue})")
    check(redis_trigger["metadata"]["listLength"] == "1", "listLength 1: one waiting job, one more pod's worth")
    modifiers = spec["advanced"]["scalingModifiers"]
    names = set(re.findall(r"[a-z_][a-z0-9_]*", modifiers["formula"]))
    check(names == set(triggers), f"the formula uses every trigger by name: {modifiers['formula']}")
    slots = data.get("MEETBOT__WORKER__MAX_CONCURRENT_JOBS", str(defaults["worker"]["max_concurrent_jobs"]))
    check(modifiers["target"] == slots, f"the target per pod ({modifiers['target']}) is the slots per pod ({slots})")
    check(redis_trigger["authenticationRef"]["name"] == trigger_auth["metadata"]["name"], "the redis trigger authenticates")
    for ref in trigger_auth["spec"]["secretTargetRef"]:
        check(ref["name"] == secret["metadata"]["name"] and ref["key"] in secret["stringData"],
              f"KEDA's {ref['parameter']} is the Secret's {ref['key']}, as the workers read it")

    k8s_env = {**plan["env"], "MEETBOT_CONFIG": str(repo / "deploy/meetbot.toml"), **data,
               **{k: (v or f"lint-{k.lower()}") for k, v in secret["stringData"].items()},
               "MEETBOT__WORKER__ID": "meetbot-worker-5d8c7b9f4-x2x7q"}
    effective = check_config(binary, k8s_env, "the image's config with the ConfigMap, the Secret and the pod name")
    if effective is not None:
        for key in ("MEETBOT__API__AUTH_TOKEN", "REDIS_PASSWORD", "MEETBOT__STORAGE__S3__SECRET_ACCESS_KEY",
                    "MEETBOT__NOTIFY__WEBHOOK_SECRET"):
            check(f"lint-{key.lower()}" not in effective, f"check-config masks the Secret's {key}")

    print()
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)
    print("every consistency check passed")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: consistency.py REPO_ROOT MEETBOT_BINARY")
    main(sys.argv[1], sys.argv[2])

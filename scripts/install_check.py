"""A portal administrator's install, checked end to end (run by scripts/test_install.sh
with the python of a fresh virtualenv where the built wheel and CKAN were installed).

Writes a ``ckan.ini`` with the settings of the README's « Install on a portal » section,
runs ``ckan db init`` and ``ckan db upgrade -p budget`` on a fresh database, starts CKAN,
then checks what the administrator would look at: a budget page in French (the wheel's
compiled catalogue) and an upload through the API processed to « done »."""

from __future__ import annotations

import argparse
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "fixtures" / "samples" / "crach" / "Crach_lotissement_BP_2022.xml"
# A French word of the extension's own catalogue on the budget page, and its English msgid.
FRENCH, ENGLISH = "Recettes de fonctionnement", "Operating receipts"


def readme_settings() -> dict[str, str]:
    """The ``key = value`` lines of the README's first ini block under « Install on a
    portal »; ``ckan.plugins`` keeps only the words after « … » (the portal's own plugins
    come first), taken from the optional budget_pgsearch line: CI has no Solr."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Install on a portal", 1)[1]
    block = re.search(r"```ini\n(.*?)```", section, re.S)
    if block is None:
        sys.exit("README: no ini block under « Install on a portal »")
    settings: dict[str, str] = {}
    for raw in block.group(1).splitlines():
        line = raw.split(" #", 1)[0].strip()
        optional = line.startswith("# ckan.plugins")
        line = line.removeprefix("# ") if optional else line
        if "=" not in line or line.startswith("#"):
            continue
        key, value = (part.strip() for part in line.split("=", 1))
        if key == "ckan.plugins":
            value = value.split("…", 1)[-1].strip()
            if optional or key not in settings:
                settings[key] = value
        else:
            settings[key] = value
    if "budget_pgsearch" not in settings.get("ckan.plugins", ""):
        sys.exit("README: no optional `ckan.plugins = … budget budget_pgsearch …` line")
    return settings


def write_ini(ckan: Path, ini: Path, site: dict[str, str]) -> None:
    run(ckan, "generate", "config", str(ini))
    settings = readme_settings()
    plugins = settings.pop("ckan.plugins")
    settings["ckan.plugins"] = f"activity {plugins}"
    settings.update(site)
    run(ckan, "config-tool", str(ini), *(f"{key}={value}" for key, value in settings.items()))
    print("ckan.ini from the README:", ", ".join(f"{k} = {v}" for k, v in settings.items()))


PORTAL_ENV = {name: value for name, value in os.environ.items() if not name.startswith("CKAN_")}
"""The environment of the portal's commands: CKAN reads ``CKAN_*`` variables (such as the
test suites' ``CKAN_SQLALCHEMY_URL``) before its ini file, and the portal must use only
the settings the README gives."""


def run(ckan: Path, *args: str, ini: Path | None = None) -> str:
    command = [str(ckan), *(["-c", str(ini)] if ini else []), *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=PORTAL_ENV)
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen, log: Path) -> None:
    for _ in range(120):
        if server.poll() is not None:
            sys.exit(f"CKAN stopped:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/api/3/action/status_show", timeout=5).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    sys.exit(f"CKAN did not answer on {url}:\n{log.read_text()[-3000:]}")


def action(url: str, token: str, name: str, /, files: dict | None = None, **data: str) -> dict:
    answer = requests.post(
        f"{url}/api/3/action/{name}",
        headers={"Authorization": token},
        **({"data": data, "files": files} if files else {"json": data}),
        timeout=120,
    )
    body = answer.json()
    if not body.get("success"):
        sys.exit(f"{name}: {answer.status_code} {body.get('error')}")
    return body["result"]


def check_portal(url: str, token: str) -> None:
    """An upload is processed to « done » and the budget page speaks French."""
    org = action(url, token, "organization_create", name="commune-de-crach")
    dataset = action(
        url, token, "package_create", type="budget", name="budget-crach",
        title="Budget de Crach", owner_org=org["id"],
    )  # fmt: skip
    with SAMPLE.open("rb") as sample:
        resource = action(
            url, token, "resource_create", files={"upload": (SAMPLE.name, sample)},
            package_id=dataset["id"], name=SAMPLE.name,
        )  # fmt: skip
    status = action(url, token, "resource_show", id=resource["id"]).get("budget_status")
    if status != "done":
        sys.exit(f"upload: budget_status is {status!r}, not 'done'")
    print(f"upload: {SAMPLE.name} processed, budget_status = done")
    page = requests.get(f"{url}/fr/budget/{dataset['name']}/explorer", timeout=60)
    if page.status_code != 200 or FRENCH not in page.text or ENGLISH in page.text:
        sys.exit(f"French budget page: {page.status_code}, {FRENCH!r} missing or English left")
    print(f"French budget page: « {FRENCH} » shown, « {ENGLISH} » absent")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", required=True)
    args = parser.parse_args()
    ckan = Path(sys.executable).parent / "ckan"
    ini = args.workdir / "ckan.ini"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    storage = args.workdir / "storage"
    storage.mkdir(parents=True, exist_ok=True)
    site = {
        "sqlalchemy.url": args.database_url,
        "ckan.redis.url": args.redis_url,
        "ckan.site_url": url,
        "ckan.site_id": "ckanext_budget_install_test",
        "ckan.storage_path": str(storage),
    }
    write_ini(ckan, ini, site)
    run(ckan, "db", "init", ini=ini)
    run(ckan, "db", "upgrade", "-p", "budget", ini=ini)
    print("ckan db init; ckan db upgrade -p budget: done")
    password = secrets.token_urlsafe(12)
    run(ckan, "user", "add", "installer", "email=installer@example.org",
        f"password={password}", ini=ini)  # fmt: skip
    run(ckan, "sysadmin", "add", "installer", ini=ini)
    token = run(ckan, "user", "token", "add", "installer", "install-check", ini=ini)
    token = token.strip().splitlines()[-1].strip()
    log = args.workdir / "ckan-run.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(ckan), "-c", str(ini), "run", "--host", "127.0.0.1", "--port", str(port),
             "--disable-reloader"],
            stdout=out, stderr=subprocess.STDOUT, env=PORTAL_ENV,
        )  # fmt: skip
    try:
        wait_until_up(url, server, log)
        check_portal(url, token)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()

"""The `mdm` command: serve, db upgrade, demo, import, systems."""

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from mdm.db.engine import Database
from mdm.db.migrate import upgrade
from mdm.domains import BY_NAME, CONTRACT_VERSIONS
from mdm.settings import Settings, tune_gc

app = typer.Typer(
    help="mdm: the master-data hub of a professional-services firm.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
systems_app = typer.Typer(help="The registry of source systems.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(systems_app, name="systems")
console = Console(stderr=True)


def _settings() -> Settings:
    settings = Settings.from_env()
    tune_gc(settings)
    return settings


@db_app.command("upgrade")
def db_upgrade(revision: str = "heads") -> None:
    """Apply migrations up to REVISION (default: the newest), then rebuild the blocking keys of
    every domain whose descriptor's keys changed."""
    settings = _settings()
    rebuilt = upgrade(settings.database_url, revision)
    console.print(f"schema at {revision} on {settings.database_url.split('@')[-1]}")
    if rebuilt:
        console.print(f"blocking keys rebuilt for {', '.join(rebuilt)}")


@contextmanager
def _client_program(what: str) -> Iterator[None]:
    """pg_dump's or pg_restore's failure as one line and exit 1, not a traceback."""
    try:
        yield
    except subprocess.CalledProcessError as exc:
        console.print(f"[red]{what} failed:[/] {exc.stderr.strip()}")
        raise typer.Exit(1) from None


@db_app.command("backup")
def db_backup(file: Annotated[Path, typer.Argument(dir_okay=False, help="where the backup goes")]) -> None:
    """Back up MDM_DATABASE_URL to FILE while the service runs (SQLite's online backup, or pg_dump)."""
    from mdm.db.backup import backup

    settings = _settings()
    with _client_program("backup"):
        backup(settings.database_url, file)
    console.print(f"backed up to {file} ({file.stat().st_size:,} bytes)")


@db_app.command("restore")
def db_restore(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="a backup made by mdm db backup")],
    replace: Annotated[bool, typer.Option(help="replace the hub the database holds")] = False,
) -> None:
    """Restore FILE into MDM_DATABASE_URL (an empty database, unless --replace); then run
    `mdm db upgrade` if the backup is of an older release."""
    from mdm.db.backup import RestoreRefused, restore

    settings = _settings()
    try:
        with _client_program("restore"):
            restore(settings.database_url, file, replace=replace)
    except RestoreRefused as exc:
        console.print(f"[red]refused:[/] {exc}")
        raise typer.Exit(1) from None
    console.print(f"restored {file} into {settings.database_url.split('@')[-1]}")


@db_app.command("revision")
def db_revision(
    message: Annotated[str, typer.Option("-m", "--message", help="what the revision does")],
    version_path: Annotated[Path | None, typer.Option(help="where to write it (a descriptor's own migrations)")] = None,
    branch_label: Annotated[
        str | None, typer.Option(help="a new branch's label (a descriptor's own revisions)")
    ] = None,
    head: Annotated[str, typer.Option(help="the revision it follows (with several heads, name one)")] = "head",
) -> None:
    """Write a new revision by comparing MDM_DATABASE_URL (upgraded to the newest revision)
    with today's descriptors: new domains, new fields. A revision that creates a domain's table
    also seeds its policy lines. Read and review it before committing: it is frozen from then on."""
    from alembic import command

    from mdm.db.migrate import alembic_config

    settings = _settings()
    config = alembic_config(settings.database_url)
    if version_path is not None:  # a descriptor's own directory, perhaps still empty
        locations = config.get_main_option("version_locations") or ""
        config.set_main_option("version_locations", os.pathsep.join([locations, str(version_path.resolve())]))
    script = command.revision(config, message, autogenerate=True,
                              version_path=str(version_path) if version_path else None,
                              branch_label=branch_label, head=head)  # fmt: skip
    for item in script if isinstance(script, list) else [script]:
        if item is not None:
            console.print(f"wrote {item.path}: review it, then commit it")


async def _count_customers(db: Database) -> int:
    from mdm.db import repository as repo

    async with db.sessionmaker(write=False)() as session:
        return await repo.count_live(session, BY_NAME["customer"])


async def _demo(settings: Settings, scale: float, only_if_empty: bool) -> None:
    from mdm.demo import load_demo

    async with Database.opened(settings.database_url) as db:
        if only_if_empty and await _count_customers(db) > 0:
            console.print("demo data already present; not loading it again")
            return
        counts = await load_demo(db, scale=scale)
        console.print("demo loaded: " + ", ".join(f"{n} {d}" for d, n in counts.items()))


@app.command()
def demo(scale: Annotated[float, typer.Option(help="1.0 is about 10,000 records")] = 1.0) -> None:
    """Load the demo estate (salesforce, certinia, netsuite, workday) through ingestion."""
    settings = _settings()
    upgrade(settings.database_url)
    asyncio.run(_demo(settings, scale, only_if_empty=False))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to bind")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
    workers: Annotated[int, typer.Option(help="worker processes")] = 1,
    with_demo: Annotated[bool, typer.Option("--demo", help="load demo data first if the database is empty")] = False,
) -> None:
    """Apply migrations and serve the API (SQLite ./mdm.db unless MDM_DATABASE_URL is set)."""
    from granian import Granian
    from granian.constants import Interfaces

    settings = Settings.from_env(host=host, port=port)
    tune_gc(settings)
    made = _metrics_dir(settings)
    try:
        upgrade(settings.database_url)
        if with_demo:
            asyncio.run(_demo(settings, 1.0, only_if_empty=True))
            _demo_keys(settings)
        os.environ["MDM_DATABASE_URL"] = settings.database_url
        console.print(f"mdm serving on http://{settings.host}:{settings.port}  (OpenAPI: /schema)")
        Granian(
            "mdm.app:create_app",
            address=settings.host,
            port=settings.port,
            interface=Interfaces.ASGI,
            workers=workers,
            factory=True,
            websockets=False,
            log_access=False,  # mdm.api.metrics logs each request, as JSON
            respawn_failed_workers=True,  # a worker that died (killed, out of memory) is replaced
            workers_kill_timeout=settings.shutdown_timeout,  # SIGTERM: in-flight requests finish first
        ).serve()
    finally:
        if made is not None:  # a directory of this run's own: gone with it
            shutil.rmtree(made, ignore_errors=True)


def _metrics_dir(settings: Settings) -> Path | None:
    """One empty directory the workers share their metrics through (mdm.api.metrics), named
    before any of them imports prometheus-client; the temporary one it made, if it did."""
    import tempfile

    made = None if settings.metrics_dir else Path(tempfile.mkdtemp(prefix="mdm-metrics-"))
    where = made or Path(str(settings.metrics_dir))
    where.mkdir(parents=True, exist_ok=True)
    for stale in where.glob("*.db"):  # a previous run's workers: their counts are not this run's
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(where)
    return made


def _import_summary(report: Any, rejects: Path) -> None:
    outcomes = ", ".join(f"{n} {o}" for o, n in sorted(report.outcomes.items())) or "none"
    console.print(f"{report.rows} rows: {report.accepted} accepted ({outcomes}), {report.rejected} rejected")
    if report.rejected:
        console.print(f"rejected rows and reasons: {rejects}")
        raise typer.Exit(1)


@app.command("import")
def import_(
    domain: Annotated[str, typer.Argument(help="customer, legal_entity, project, employee, cost_center, rate_card")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".csv or .ndjson")],
    system: Annotated[str, typer.Option(help="the source system the rows come from")],
    id_column: Annotated[str, typer.Option(help="column holding the source id")] = "source_id",
    reject_file: Annotated[Path | None, typer.Option(help="where rejected rows go (NDJSON)")] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=5000)] = 500,
    match: Annotated[
        bool | None, typer.Option("--match/--no-match", help="fuzzy match-before-create (default: MDM_MATCH_ON_INGEST)")
    ] = None,
    contract: Annotated[str, typer.Option(help="the contract version the rows are written in: v1 or v2")] = "v2",
    url: Annotated[
        str | None, typer.Option(help="send the rows to the hub at this URL (its bulk endpoint), not the database")
    ] = None,
    key: Annotated[str | None, typer.Option(envvar="MDM_API_KEY", help="with --url: the system's API key")] = None,
) -> None:
    """Import a file of one system's records; rejected rows go to a reject file. With --url,
    through a running hub's bulk endpoint (as that system, with its key), else straight into
    MDM_DATABASE_URL."""
    from mdm.importer import RemoteRefused, import_file, import_remote

    if domain not in BY_NAME:
        raise typer.BadParameter(f"unknown domain '{domain}'; one of {', '.join(BY_NAME)}", param_hint="DOMAIN")
    if contract not in CONTRACT_VERSIONS:
        raise typer.BadParameter(f"one of {', '.join(CONTRACT_VERSIONS)}", param_hint="--contract")
    if url and not key:
        raise typer.BadParameter("with --url, give the system's API key (or set MDM_API_KEY)", param_hint="--key")
    total = sum(1 for line in file.open(encoding="utf-8") if line.strip()) - (1 if file.suffix == ".csv" else 0)
    rejects = reject_file or file.with_name(file.name + ".rejects.ndjson")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())

    async def remote(url: str, key: str) -> Any:
        with Progress(*columns, console=console) as progress:
            task = progress.add_task(f"sending {domain} to {url}", total=max(total, 0))
            return await import_remote(url, key, BY_NAME[domain], file, system, id_column=id_column,
                                       reject_path=rejects, batch_size=min(batch_size, 1000),
                                       on_progress=lambda n: progress.advance(task, n), version=contract)  # fmt: skip

    if url and key:
        try:
            report = asyncio.run(remote(url, key))
        except RemoteRefused as exc:
            console.print(f"the hub refused the import: {exc}")
            raise typer.Exit(1) from exc
        _import_summary(report, rejects)
        return
    settings = _settings()
    upgrade(settings.database_url)

    async def run() -> None:
        async with Database.opened(settings.database_url) as db:
            with Progress(*columns, console=console) as progress:
                task = progress.add_task(f"importing {domain}", total=max(total, 0))
                report = await import_file(
                    db,
                    BY_NAME[domain],
                    file,
                    system,
                    id_column=id_column,
                    reject_path=rejects,
                    batch_size=batch_size,
                    fuzzy=settings.match_on_ingest if match is None else match,
                    on_progress=lambda n: progress.advance(task, n),
                    version=contract,
                )
        _import_summary(report, rejects)

    asyncio.run(run())


@systems_app.command("list")
def systems_list() -> None:
    """Print the registered source systems."""
    from mdm.db import repository as repo

    async def run() -> None:
        async with Database.opened(_settings().database_url) as db:
            async with db.sessionmaker(write=False)() as session:
                for code, row in (await repo.known_systems(session)).items():
                    typer.echo(f"{code}\t{row.name}")

    asyncio.run(run())


@systems_app.command("add")
def systems_add(
    code: Annotated[str, typer.Argument(help="lower-case code used in source paths, e.g. hubspot")],
    name: Annotated[str, typer.Argument(help="display name")],
    owns: Annotated[list[str] | None, typer.Option(help="DOMAIN.FIELD it writes (repeat); DOMAIN.* for all")] = None,
    creates: Annotated[list[str] | None, typer.Option(help="a DOMAIN it may create records in (repeat)")] = None,
    refuses: Annotated[
        list[str] | None, typer.Option(help="DOMAIN.FIELD it must never send: such a record is refused (repeat)")
    ] = None,
    key: Annotated[bool, typer.Option("--key", help="make and print its API key (reader role)")] = False,
) -> None:
    """Register a source system so it may upsert records; with --owns/--creates/--refuses, add
    its policy lines as a new policy version (checked and audited as `policy apply`); with
    --key, print its key. One step: the registration and the policy land together or not at
    all. Fields it sends but neither owns nor is refused are contributed."""
    import getpass
    import re
    from datetime import UTC, datetime

    from mdm.auth.keys import create_key
    from mdm.db import repository as repo
    from mdm.policy.rules import PolicyError
    from mdm.policy.store import adopt, load

    if not re.fullmatch(r"[a-z][a-z0-9_-]{0,49}", code):
        raise typer.BadParameter("lower-case letters, digits, - and _; starting with a letter", param_hint="CODE")
    lines = []
    for option, items, effect in (("--owns", owns, "allow"), ("--refuses", refuses, "deny")):
        for item in items or []:
            domain, dot, field = item.partition(".")
            if not dot or not field:
                raise typer.BadParameter(f"'{item}': write it as DOMAIN.FIELD, e.g. customer.name", param_hint=option)
            lines.append(f"p, system:{code}, {domain}, {field}, write, {effect}")
    lines += [f"p, system:{code}, {domain}, *, create, allow" for domain in creates or []]
    settings = _settings()
    upgrade(settings.database_url)

    async def run() -> int | None:
        async with Database.opened(settings.database_url) as db:
            async with db.transaction() as session:
                if code in await repo.known_systems(session):
                    raise typer.BadParameter(f"'{code}' is already registered", param_hint="CODE")
                await repo.add_system(session, code, name, datetime.now(UTC))
                if not lines:
                    return None
                current = await load(session)
                text = current.text.rstrip("\n") + f"\n\n# ---- {code} ({name}), added by `mdm systems add`\n"
                policy, _ = await adopt(session, text + "\n".join(lines) + "\n", current.version,
                                        f"user:{getpass.getuser()}", frozenset({"admin"}),
                                        f"mdm systems add {code}", f"cli:systems-add:{code}")  # fmt: skip
                return policy.version

    try:
        version = asyncio.run(run())
    except PolicyError as exc:
        for problem in exc.problems:
            typer.echo(f"not registered: {problem.split(': ', 1)[-1]}", err=True)
        raise typer.Exit(1) from exc
    console.print(f"registered {code}" + (f"; policy version {version} adds {len(lines)} lines" if version else ""))
    if key:

        async def make() -> tuple[str, str]:
            async with Database.opened(settings.database_url) as db:
                return await create_key(db, f"system:{code}", ["reader"])

        key_id, secret = asyncio.run(make())
        console.print(f"key {key_id} for system:{code} (shown once):")
        typer.echo(secret)


keys_app = typer.Typer(help="API keys: each bound to one principal and its roles.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
DEMO_KEYS = Path("mdm-demo-keys.txt")
DEMO_PRINCIPALS: tuple[tuple[str, list[str]], ...] = (
    ("system:salesforce", ["reader"]),
    ("system:certinia", ["reader"]),
    ("system:netsuite", ["reader"]),
    ("system:workday", ["reader"]),
    ("user:steward", ["steward"]),
    ("user:admin", ["admin"]),
    ("user:analyst", ["reader"]),
    ("user:controller", ["finance"]),
)


@keys_app.command("create")
def keys_create(
    principal: Annotated[str, typer.Option(help="system:<code> for an integration, user:<name> for a person")],
    role: Annotated[
        list[str] | None, typer.Option(help="steward, admin, reader or finance; repeat for several")
    ] = None,
) -> None:
    """Make a key and print it once; only its hash is stored."""
    from mdm.auth.keys import create_key

    settings = _settings()
    upgrade(settings.database_url)

    async def run() -> tuple[str, str]:
        async with Database.opened(settings.database_url) as db:
            return await create_key(db, principal, role or [])

    try:
        key_id, key = asyncio.run(run())
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--principal/--role") from exc
    console.print(f"{key_id} for {principal}; the key is shown this once:")
    typer.echo(key)


@keys_app.command("list")
def keys_list() -> None:
    """Key ids, principals, roles and whether revoked (never the keys)."""
    from mdm.db import api_keys

    async def run() -> None:
        async with Database.opened(_settings().database_url) as db:
            async with db.sessionmaker(write=False)() as session:
                for row in await api_keys.all_keys(session):
                    state = f"revoked {row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "active"
                    typer.echo(f"{row.id}\t{row.principal}\t{','.join(row.roles) or '-'}\t{state}")

    asyncio.run(run())


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="the key's id from `mdm keys list`")]) -> None:
    """Revoke a key; every worker refuses it within seconds."""
    from datetime import UTC, datetime

    from mdm.db import api_keys

    async def run() -> bool:
        async with Database.opened(_settings().database_url) as db:
            async with db.transaction() as session:
                return await api_keys.revoke(session, key_id, datetime.now(UTC))

    if not asyncio.run(run()):
        raise typer.BadParameter(f"no active key {key_id}", param_hint="KEY_ID")
    console.print(f"revoked {key_id}")


def _demo_keys(settings: Settings) -> None:
    """One key per demo system (with the reader role), and for a steward, an admin, a
    reader and a finance user, written to a file once."""
    from mdm.auth.keys import create_key

    if DEMO_KEYS.exists():
        console.print(f"demo API keys: {DEMO_KEYS.resolve()}")
        return

    async def make() -> list[str]:
        async with Database.opened(settings.database_url) as db:
            return [f"{p}={(await create_key(db, p, roles))[1]}" for p, roles in DEMO_PRINCIPALS]

    lines = asyncio.run(make())
    DEMO_KEYS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    DEMO_KEYS.chmod(0o600)
    console.print(f"demo API keys written to {DEMO_KEYS.resolve()} (one per line, principal=key)")


policy_app = typer.Typer(help="The edit-right policy (who may create, write, read, merge what).", no_args_is_help=True)
app.add_typer(policy_app, name="policy")


@policy_app.command("check")
def policy_check(file: Annotated[Path, typer.Argument(help="a policy file (casbin CSV)", exists=True)]) -> None:
    """Check a policy file against the domains; each error names its line. Exit 1 if any."""
    from mdm.policy.rules import Policy, PolicyError

    try:
        policy = Policy(file.read_text(encoding="utf-8"))
    except PolicyError as exc:
        for problem in exc.problems:
            typer.echo(f"{file}: {problem}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{file}: {len(policy.rules)} rules, no errors")


@policy_app.command("show")
def policy_show() -> None:
    """Print the policy in force: its text exactly as adopted, so `policy show > FILE`, an
    edit and `policy apply FILE` round-trip (its version goes to stderr)."""
    from mdm.policy.store import load

    async def run() -> tuple[int, str]:
        async with Database.opened(_settings().database_url) as db:
            async with db.sessionmaker(write=False)() as session:
                policy = await load(session)
                return policy.version, policy.text

    version, text = asyncio.run(run())
    typer.echo(f"policy version {version}", err=True)
    typer.echo(text, nl=False)


@policy_app.command("apply")
def policy_apply(
    file: Annotated[Path, typer.Argument(help="a policy file (casbin CSV): edited `policy show`", exists=True)],
    expect: Annotated[int | None, typer.Option(help="refuse unless this version is in force (the one edited)")] = None,
    comment: Annotated[str | None, typer.Option(help="why: kept with the version and in the audit")] = None,
) -> None:
    """Adopt a policy file as the next version, checked as `policy check` does (errors name
    their line; nothing is adopted; exit 1). Audited as the operating-system user, an admin."""
    import getpass

    from mdm.errors import PreconditionFailed
    from mdm.policy.rules import PolicyError
    from mdm.policy.store import adopt

    settings = _settings()
    upgrade(settings.database_url)
    text = file.read_text(encoding="utf-8")

    async def run() -> tuple[int, int]:
        async with Database.opened(settings.database_url) as db:
            async with db.transaction() as session:
                principal, roles = f"user:{getpass.getuser()}", frozenset({"admin"})
                policy, recomputed = await adopt(session, text, expect, principal, roles, comment, f"cli:{file.name}")
                return policy.version, recomputed

    try:
        version, recomputed = asyncio.run(run())
    except PolicyError as exc:
        for problem in exc.problems:
            typer.echo(f"{file}: {problem}", err=True)
        raise typer.Exit(1) from exc
    except PreconditionFailed as exc:
        typer.echo(f"{file}: not adopted: {exc}", err=True)
        raise typer.Exit(1) from exc
    console.print(f"adopted policy version {version} from {file} ({recomputed} golden records recomputed)")


match_app = typer.Typer(help="Fuzzy duplicate detection.", no_args_is_help=True)
app.add_typer(match_app, name="match")


def _shard(value: str) -> tuple[int, int]:
    index, _, count = value.partition("/")
    if not (index.isdigit() and count.isdigit()) or not 0 <= int(index) < int(count):
        raise typer.BadParameter("write it as i/n with 0 <= i < n, e.g. 0/4", param_hint="--shard")
    return int(index), int(count)


@match_app.command("scan")
def match_scan(
    domain: Annotated[str, typer.Argument(help="customer, employee, legal_entity, project, cost_center, rate_card")],
    shard: Annotated[str, typer.Option(help="i/n: this process takes every n-th block, from the i-th")] = "0/1",
    queue_only: Annotated[
        bool, typer.Option(help="queue pairs at or above auto_link too, instead of merging them")
    ] = False,
    learn: Annotated[
        bool, typer.Option(help="learn DOMAIN's first model from its records when it never had one")
    ] = True,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="processes that compare blocks at once (default: one per core from 40,000 blocks of a "
            "whole domain, else one)",
        ),
    ] = None,
) -> None:
    """Queue likely duplicate pairs of DOMAIN's golden records for stewards (rerunning adds
    none); merge those at or above auto_link, as ingestion links (a steward can unmerge).
    A domain that never had a rules version first gets one learnt from its own records."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from mdm.domains import BY_NAME
    from mdm.matching.scan import scan

    if domain not in BY_NAME:
        raise typer.BadParameter(f"one of {', '.join(BY_NAME)}", param_hint="DOMAIN")
    part = _shard(shard)
    settings = _settings()

    async def run() -> Any:
        async with Database.opened(settings.database_url) as db:
            with Progress("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          console=console) as bar:  # fmt: skip
                task = bar.add_task(f"{domain} blocks", total=None)
                return await scan(db, BY_NAME[domain], shard=part, link=not queue_only, learn=learn,
                                  workers=workers, on_blocks=lambda n: bar.update(task, total=n),
                                  advance=lambda n: bar.advance(task, n))  # fmt: skip

    report = asyncio.run(run())
    if learnt := report.learnt:
        number = learnt.written.number
        fate = (
            "adopted"
            if learnt.adopted
            else f"not adopted: {learnt.why} (`mdm match impact {domain} --version {number}`)"
        )
        console.print(f"{learnt.written.report}\nlearnt {domain} rules version {number} from its records, {fate}")
    console.print(
        f"{report.blocks} blocks in {report.workers} process(es), {report.pairs_compared} pairs compared, "
        f"{report.pairs_scored} scored in full; "
        f"{report.queued} candidates queued, {report.already_queued} already in the queue; "
        f"{report.linked} at or above auto_link merged"
    )
    for line in report.left_queued:
        console.print(f"left in the queue: {line}")
    for line in report.oversized:
        console.print(f"oversized block: {line}")


def _domain(name: str) -> Any:
    if name not in BY_NAME:
        raise typer.BadParameter(f"one of {', '.join(BY_NAME)}", param_hint="DOMAIN")
    return BY_NAME[name]


rules_app = typer.Typer(help="Match rules: per-domain comparisons, levels, m and u, prior, thresholds.",
                        no_args_is_help=True)  # fmt: skip
match_app.add_typer(rules_app, name="rules")


@rules_app.command("show")
def rules_show() -> None:
    """Print the match rules in force (TOML), to copy and change: each descriptor's default
    table, and the tables of the file MDM_MATCH_RULES names in place of those it has."""
    from mdm.matching.rules import text_of

    override = os.environ.get("MDM_MATCH_RULES")
    defaults = {n: d for n, d in BY_NAME.items() if not _overridden(n, override)}
    typer.echo(text_of(defaults), nl=False)
    if override:
        typer.echo(f"\n# from MDM_MATCH_RULES={override}\n" + Path(override).read_text(encoding="utf-8"), nl=False)


def _overridden(domain: str, path: str | None) -> bool:
    import msgspec

    return path is not None and domain in msgspec.toml.decode(Path(path).read_bytes())


@rules_app.command("check")
def rules_check(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Check a rules file against the domain descriptors; exit 1 naming what is wrong."""
    from mdm.matching.rules import RuleError, load

    try:
        rules = load(file, BY_NAME)
    except RuleError as exc:
        console.print(f"{file}: {exc}")
        raise typer.Exit(1) from None
    for name, r in rules.items():
        console.print(f"{name}: version {r.version}, {len(r.comparisons)} comparisons, prior {r.prior:g}, "
                      f"auto_link {r.auto_link}, review {r.review}")  # fmt: skip


@match_app.command("impact")
def match_impact(
    domain: Annotated[str, typer.Argument(help="customer, employee, legal_entity, project, cost_center, rate_card")],
    rules: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="the proposed rules file (TOML)")
    ] = None,
    version: Annotated[int | None, typer.Option(help="a version `mdm match train` wrote")] = None,
    limit: Annotated[int, typer.Option(min=0, help="pairs and links listed per group")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="everything, as JSON, on stdout")] = False,
) -> None:
    """What proposed rules (a file, or a trained version) would change for DOMAIN against
    the rules in force: records that would newly link or be queued, and automatic links
    they would no longer make. Writes nothing."""
    from rich.progress import TimeElapsedColumn

    from mdm.matching import training
    from mdm.matching.impact import impact
    from mdm.matching.rules import MatchRules, RuleError, load

    descriptor = _domain(domain)
    if (rules is None) == (version is None):
        raise typer.BadParameter("name a rules file or a trained version, one of them", param_hint="--rules/--version")
    proposed: dict[str, MatchRules] = {}
    if rules is not None:
        try:
            proposed = load(rules, BY_NAME)
        except RuleError as exc:
            console.print(f"{rules}: {exc}")
            raise typer.Exit(1) from None
        if domain not in proposed:
            console.print(f"{rules} has no [{domain}] table")
            raise typer.Exit(1)
    settings = _settings()

    async def run() -> Any:
        async with Database.opened(settings.database_url) as db:
            if version is not None:
                try:
                    proposed[domain] = await training.stored(db, descriptor, version)
                except LookupError as exc:
                    console.print(str(exc))
                    raise typer.Exit(1) from None
            with Progress("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          console=console, transient=True) as bar:  # fmt: skip
                task = bar.add_task(f"{domain} blocks", total=None)
                return await impact(db, descriptor, proposed[domain],
                                    on_blocks=lambda n: bar.update(task, total=n),
                                    advance=lambda n: bar.advance(task, n))  # fmt: skip

    report = asyncio.run(run())
    if as_json:
        groups = ("newly_linked", "newly_queued", "no_longer_linked")
        typer.echo(msgspec.json.encode({g: getattr(report, g) for g in groups}).decode())
        return
    old, new = report.old, report.new
    console.print(f"{domain}: rules v{old.version} (auto_link {old.auto_link}, review {old.review}) -> "
                  f"v{new.version} (auto_link {new.auto_link}, review {new.review}); {report.blocks} blocks, "
                  f"{report.pairs_scored} pairs scored, {report.links_checked} automatic links checked")  # fmt: skip
    for title, found in (("would newly link", report.newly_linked), ("would newly be queued", report.newly_queued)):
        console.print(f"{len(found)} pairs {title}")
        for p in found[:limit]:
            console.print(f"  {p['left_id']} {p['right_id']}: {p['old_score']:.4f} -> {p['new_score']:.4f}")
    console.print(f"{len(report.no_longer_linked)} automatic links the new rules would not make")
    for link in report.no_longer_linked[:limit]:
        console.print(f"  {link['system']}/{link['source_id']} in {link['golden_id']}: "
                      f"{link['old_score']:.4f} -> {link['new_score']:.4f}")  # fmt: skip


@match_app.command("train")
def match_train(
    domain: Annotated[str, typer.Argument(help="customer, employee, legal_entity, project, cost_center, rate_card")],
    random_pairs: Annotated[int, typer.Option(min=100, help="pairs drawn at random, for u")] = 200_000,
    blocked_pairs: Annotated[int, typer.Option(min=100, help="pairs sharing a block, for EM")] = 300_000,
) -> None:
    """Learn DOMAIN's match model from the hub's own records (no labels; steward decisions
    refine it) and write it as a new rules version. It is not in force until adopted:
    `mdm match impact DOMAIN --version N` first, then `mdm match adopt DOMAIN N`."""
    from rich.progress import TimeElapsedColumn

    from mdm.matching import training

    descriptor = _domain(domain)
    settings = _settings()
    upgrade(settings.database_url)

    async def run() -> training.Written:
        async with Database.opened(settings.database_url) as db:
            with Progress("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          console=console) as bar:  # fmt: skip
                task = bar.add_task(f"{domain}: sampling, EM, then term frequencies", total=None)
                return await training.train_domain(
                    db, descriptor, random_pairs=random_pairs, blocked_pairs=blocked_pairs,
                    on_total=lambda n: bar.update(task, total=n), advance=lambda n: bar.advance(task, n),
                )  # fmt: skip

    number, report, _ = asyncio.run(run())
    console.print(report)
    console.print(f"wrote {domain} rules version {number}: `mdm match impact {domain} --version {number}`, "
                  f"then `mdm match adopt {domain} {number}`")  # fmt: skip


@match_app.command("adopt")
def match_adopt(
    domain: Annotated[str, typer.Argument(help="customer, employee, legal_entity, project, cost_center, rate_card")],
    version: Annotated[str, typer.Argument(help="the trained version to put in force, or `defaults`")],
) -> None:
    """Put a trained rules version of DOMAIN in force, or its defaults again (every worker
    follows within a second)."""
    from mdm.matching import training

    descriptor = _domain(domain)
    if version != "defaults" and not version.isdigit():
        raise typer.BadParameter("a version number, or `defaults`", param_hint="VERSION")
    settings = _settings()

    async def run() -> bool:
        async with Database.opened(settings.database_url) as db:
            if version == "defaults":
                await training.withdraw(db, descriptor)
                return True
            return await training.adopt(db, descriptor, int(version), f"cli:{os.environ.get('USER', 'unknown')}")

    if not asyncio.run(run()):
        console.print(f"no {domain} rules version {version} (`mdm match train {domain}` writes them)")
        raise typer.Exit(1)
    console.print(f"{domain} rules {'defaults are' if version == 'defaults' else f'version {version} is'} in force")


events_app = typer.Typer(help="Change events: the JetStream publisher, webhooks, retention.", no_args_is_help=True)
app.add_typer(events_app, name="events")


async def _until_signalled(settings: Settings, start: Callable[[Database, asyncio.Event], Awaitable[int]]) -> int:
    """Run a background loop on the database until Ctrl-C or SIGTERM; answers its count."""
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Database.opened(settings.database_url) as db:
        return await start(db, stop)


@events_app.command("publish")
def events_publish() -> None:
    """Publish the feed's events to NATS JetStream (MDM_NATS_URL) until stopped (Ctrl-C,
    SIGTERM), from where the last publisher stopped; beside `mdm serve`'s own publishers, one
    at a time publishes (a lease)."""
    from mdm.events.publisher import from_settings
    from mdm.policy.store import PolicyCache

    settings = _settings()
    if not settings.nats_url:
        raise typer.BadParameter("set MDM_NATS_URL (nats://host:4222)", param_hint="MDM_NATS_URL")
    url = settings.nats_url

    async def publish(db: Database, stop: asyncio.Event) -> int:
        publisher = from_settings(db, settings, PolicyCache(db).for_read)
        console.print(f"publishing to {url} ({settings.nats_prefix}.> on {settings.nats_stream}); Ctrl-C stops")
        await publisher.run(stop)
        return publisher.published

    console.print(f"stopped; {asyncio.run(_until_signalled(settings, publish))} events published")


@events_app.command("deliver")
def events_deliver() -> None:
    """Deliver every webhook subscription's events until stopped (Ctrl-C, SIGTERM): what
    `mdm serve` does unless MDM_WEBHOOKS=false; beside it, one process per subscription
    delivers at a time (a lease)."""
    from mdm.events.webhooks import from_settings
    from mdm.policy.store import PolicyCache

    settings = _settings()

    async def deliver(db: Database, stop: asyncio.Event) -> int:
        dispatcher = from_settings(db, settings, PolicyCache(db).for_read)
        console.print("delivering webhooks; Ctrl-C stops")
        await dispatcher.run(stop)
        return dispatcher.sent

    console.print(f"stopped; {asyncio.run(_until_signalled(settings, deliver))} events delivered")


@events_app.command("prune")
def events_prune() -> None:
    """Delete the events older than MDM_EVENTS_RETENTION_DAYS now (`mdm serve` does it every 10 minutes)."""
    from mdm.events.retention import prune_once

    settings = _settings()

    async def run() -> int:
        async with Database.opened(settings.database_url) as db:
            return await prune_once(db, settings.events_retention_days)

    console.print(f"{asyncio.run(run())} events pruned (older than {settings.events_retention_days:g} days)")


contracts_app = typer.Typer(help="API contracts (OpenAPI documents per version).", no_args_is_help=True)
app.add_typer(contracts_app, name="contracts")


@contracts_app.command("export")
def contracts_export() -> None:
    """Write openapi/<version>.json from the app (no database needed)."""
    from mdm.contracts_export import export

    for path in export():
        console.print(f"wrote {path}")


class DiffFormat(StrEnum):
    text = "text"
    json = "json"


@contracts_app.command("diff")
def contracts_diff(
    old: Annotated[str, typer.Argument(help="the published document: a file, or git:REV:PATH")],
    new: Annotated[str, typer.Argument(help="the changed document: a file, or git:REV:PATH")],
    output: Annotated[DiffFormat, typer.Option("--format", help="text, or json for tools")] = DiffFormat.text,
    accepted: Annotated[
        Path | None, typer.Option(help="breaking changes accepted on purpose (openapi/accepted-breaking.txt)")
    ] = None,
) -> None:
    """List what changed between two OpenAPI documents (or two GraphQL schemas, .graphql);
    exit 1 on a breaking change that is not accepted, unless info.version's major changed."""
    from mdm.contracts_diff import DocumentError, judge, parse_accepted, read_document, render_json, render_text

    try:
        documents = read_document(old), read_document(new)
        entries = parse_accepted(accepted.read_text(encoding="utf-8")) if accepted else []
        report = judge(*documents, entries)
    except (DocumentError, OSError) as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error
    except ValueError as error:  # a bad line in the accepted list
        typer.echo(f"{accepted}: {error}", err=True)
        raise typer.Exit(2) from error
    if output is DiffFormat.json:
        typer.echo(json.dumps(render_json(report), indent=2))
    else:
        typer.echo(render_text(report))
    raise typer.Exit(1 if report.failed else 0)


def main() -> None:
    app()

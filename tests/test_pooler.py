"""The app behind PgBouncer in transaction mode, as docs/operations.md ("Behind PgBouncer") says
to run it: `DATABASE_TRANSACTION_POOLER=true`, so nothing is prepared and no named cursor
outlives a transaction. A private PostgreSQL and PgBouncer (tests/servers.py), the app's
`manage.py` through them.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import PrivatePostgres, PrivateRedis, free_port, wait_until

ROOT = Path(__file__).resolve().parent.parent

# Each statement kind the app sends, many times over: reads repeated past the prepare threshold,
# a write in a transaction, an iterator (a named cursor unless turned off) and the feed.
SCRIPT = """
import json
from django.db import connection, transaction
from django.test import Client
from accounts.models import User
from listings.models import Listing

answers = []
client = Client()
for n in range(12):
    with transaction.atomic():
        User.objects.create(phone=f"+99670055{n:04d}", display_name=f"Pooled {n}")
    answers.append(client.get("/api/v1/listings/feed/").status_code)
    answers.append(client.get("/api/v1/listings/", {"category": "car"}).status_code)
users = sum(1 for _ in User.objects.order_by("pk").iterator(chunk_size=5))
with connection.cursor() as cursor:
    cursor.execute("SELECT count(*) FROM pg_prepared_statements")
    prepared = cursor.fetchone()[0]
    # Search's typo threshold, from the database (the pooler refuses it as a startup option).
    cursor.execute("SELECT current_setting('pg_trgm.word_similarity_threshold')")
    threshold = cursor.fetchone()[0]
print(json.dumps(
    {"answers": sorted(set(answers)), "users": users, "prepared": prepared, "typo": threshold}
))
"""


class PgBouncer:
    """PgBouncer in transaction mode in front of `pg`, two server connections."""

    def __init__(self, root: Path, pg: PrivatePostgres) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/{pg.database}"
        (root / "users.txt").write_text('"postgres" ""\n')
        (root / "pgbouncer.ini").write_text(
            f"[databases]\n{pg.database} = host=127.0.0.1 port={pg.port} dbname={pg.database}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {root / 'users.txt'}\n"
            "pool_mode = transaction\ndefault_pool_size = 2\n"
            f"logfile = {root / 'pgbouncer.log'}\npidfile = {root / 'pgbouncer.pid'}\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        if not Path(binary).exists():
            pytest.fail("PgBouncer is missing: scripts/system-deps installs it (apt-get pgbouncer)")
        # PgBouncer refuses to run as root.
        as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if as_owner:
            shutil.chown(self.root, "postgres")
            for path in self.root.iterdir():
                shutil.chown(path, "postgres")
        self.process = subprocess.Popen(
            [*as_owner, binary, str(self.root / "pgbouncer.ini")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import psycopg

        def answers() -> bool:
            try:
                psycopg.connect(self.url, connect_timeout=1).close()
            except psycopg.Error:
                return False
            return True

        wait_until(answers, 15, "PgBouncer")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def pooled() -> Iterator[tuple[dict[str, str], PgBouncer]]:
    root = Path(tempfile.mkdtemp(prefix="marketplace-pooler-"))
    root.chmod(0o755)  # the servers run as postgres when the tests run as root
    pg = PrivatePostgres(root / "postgres", "pooled")
    bouncer = PgBouncer(root / "pgbouncer", pg)
    redis = PrivateRedis()
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("PYTEST")},
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.test",
        "REDIS_URL": redis.url,
    }
    try:
        pg.init()
        redis.start()
        migrate = {**env, "DATABASE_URL": pg.url}
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT, env=migrate, check=True, capture_output=True, timeout=180,
        )  # fmt: skip
        bouncer.start()
        yield {**env, "DATABASE_URL": bouncer.url, "DATABASE_TRANSACTION_POOLER": "true"}, bouncer
    finally:
        bouncer.stop()
        redis.stop()
        pg.discard()
        shutil.rmtree(root, ignore_errors=True)


def test_the_app_works_through_a_transaction_pooler(
    pooled: tuple[dict[str, str], PgBouncer],
) -> None:
    env, _bouncer = pooled

    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", SCRIPT],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome == {"answers": [200], "users": 12, "prepared": 0, "typo": "0.4"}

"""A serving worker keeps what it made to start out of the garbage collector's sight."""

import subprocess
import sys
import textwrap


def test_a_worker_freezes_what_it_made_at_start_and_gives_it_back_at_the_end(tmp_path):
    script = textwrap.dedent(f"""
        import gc
        from litestar.testing import TestClient
        from mdm.app import create_app
        from mdm.db.migrate import upgrade
        from mdm.settings import Settings

        url = "sqlite+aiosqlite:///{tmp_path / "gc.db"}"
        upgrade(url)
        with TestClient(create_app(Settings(database_url=url))) as client:
            assert client.get("/health/live").status_code == 200
            serving = gc.get_freeze_count()
        print(serving, gc.get_freeze_count())
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    serving, after = map(int, run.stdout.split()[-2:])
    assert serving > 100_000  # modules, app and schemas: out of the collector's sight while it serves
    assert after == 0

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
            full = []
            gc.callbacks.append(lambda phase, info: full.append(info) if phase == "start" and info["generation"] == 2
                                else None)
            with TestClient(create_app(Settings(database_url=url))) as second:  # as tests start apps
                assert second.get("/health/live").status_code == 200
            still = gc.get_freeze_count()
        print(serving, still, len(full), gc.get_freeze_count())
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    serving, still, full, after = map(int, run.stdout.split()[-4:])
    assert serving > 100_000  # modules, app and schemas: out of the collector's sight while it serves
    assert still > 100_000  # a second app in the process leaves the first one's frozen (some were freed since)
    assert full == 0  # nor does it pay a full collection of a process that large to start
    assert after == 0

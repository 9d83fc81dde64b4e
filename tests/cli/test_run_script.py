"""`./run mdm …` works in a fresh shell: no PATH set up, uv found where `./run` put it."""

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_run_mdm_works_from_a_fresh_shell_without_reinstalling_uv():
    uv = shutil.which("uv")
    assert uv, "the suite runs under uv"
    bare = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_"))}
    bare["PATH"] = "/usr/local/bin:/usr/bin:/bin"  # a login shell's, without ~/.local/bin
    if Path(uv).parent != Path.home() / ".local" / "bin":  # uv lives elsewhere here: give ./run that place
        bare["PATH"] += f":{Path(uv).parent}"
    done = subprocess.run([str(ROOT / "run"), "mdm", "--help"], capture_output=True, text=True, timeout=300, env=bare)
    assert done.returncode == 0, done.stderr
    assert "Usage" in done.stdout
    assert "installing uv" not in done.stderr

"""Development installs sign with their own random key, never one written in the code."""

import os
import subprocess
import sys

from config import embedded


def settings_key(var_dir) -> str:
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"} | {"RETRIEVER_VAR_DIR": str(var_dir)}
    code = "import config.settings as s; print(s.SECRET_KEY)"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=embedded.BASE_DIR, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_each_install_gets_its_own_key_kept_across_restarts(tmp_path):
    first, second = settings_key(tmp_path / "a"), settings_key(tmp_path / "b")
    assert len(first) >= 50 and first != second
    assert settings_key(tmp_path / "a") == first
    assert (tmp_path / "a" / "secret-key").stat().st_mode & 0o777 == 0o600
    assert "insecure" not in first

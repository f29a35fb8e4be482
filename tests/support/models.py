"""Fitted models pickled by a real scikit-learn, as a training job of that version writes them."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from tests.support import recipes
from tests.support.venvs import FIXTURES, cache_root, run

MODELS = FIXTURES / "models"


def pickled_by(line: str = "1.2") -> Path:
    """A folder with churn.pkl, tree.pkl and segments.pkl, fitted and pickled by scikit-learn ``line``
    (fixtures/models/train.py); rebuilt when the script, the data or the venv's pins change."""
    venv = recipes.sklearn_venv(line)
    key = hashlib.sha256(
        b"".join((MODELS / n).read_bytes() for n in ("train.py", "customers.csv")) + str(venv.path).encode()
    ).hexdigest()[:12]
    folder = cache_root() / "models" / f"sklearn-{line}-{key}"
    if not (folder / ".complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        run([str(venv.python), str(MODELS / "train.py"), str(folder)])
        (folder / ".complete").write_text("ok\n")
    return folder

import os
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from config import embedded

EDITORS_GROUP = "Editors"
DEMO_EDITOR_USERNAME = "editor"


def _demo_password() -> str:
    """From DEMO_EDITOR_PASSWORD, else made once and kept in the var dir so it stays the same."""
    if os.environ.get("DEMO_EDITOR_PASSWORD"):
        return os.environ["DEMO_EDITOR_PASSWORD"]
    path = embedded.var_dir() / "demo-editor-password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(12))
        path.chmod(0o600)
    return path.read_text().strip()


@transaction.atomic
def demo_editor_ensure() -> tuple[str, str]:
    """An editor account for the demo: staff, in the Editors group. Returns (username, password)."""
    password = _demo_password()
    user, _ = get_user_model().objects.get_or_create(
        username=DEMO_EDITOR_USERNAME, defaults={"email": "editor@localhost", "is_staff": True}
    )
    user.is_staff = True
    user.is_superuser = True
    user.set_password(password)
    user.save()
    user.groups.add(Group.objects.get_or_create(name=EDITORS_GROUP)[0])
    return user.username, password

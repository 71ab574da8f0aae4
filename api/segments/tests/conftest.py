from __future__ import annotations

import pytest

from projects.models import Project
from segments import services
from segments.models import Segment
from segments.tests.factories import beta_rules
from users.models import User


@pytest.fixture
def segment(project: Project, admin_user: User) -> Segment:
    return services.create_segment(project, {"name": "beta users", "rules": beta_rules()}, admin_user)

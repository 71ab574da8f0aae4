from __future__ import annotations

import pytest

from environments.models import Environment
from features import services
from features.models import Feature
from projects.models import Project
from users.models import User


@pytest.fixture
def defaults_project(project: Project) -> Project:
    """The shared project: flag defaults are on for new projects, so initial values reach every environment."""
    assert project.prevent_flag_defaults is False
    return project


@pytest.fixture
def feature(defaults_project: Project, environment: Environment, admin_user: User) -> Feature:
    return services.create_feature(
        defaults_project, {"name": "checkout", "initial_value": "blue", "default_enabled": True}, admin_user
    )


@pytest.fixture
def mv_feature(defaults_project: Project, environment: Environment, admin_user: User) -> Feature:
    return services.create_feature(
        defaults_project,
        {
            "name": "banner",
            "initial_value": "control",
            "multivariate_options": [
                {"type": "unicode", "string_value": "a", "default_percentage_allocation": 30},
                {"type": "unicode", "string_value": "b", "default_percentage_allocation": 20},
            ],
        },
        admin_user,
    )

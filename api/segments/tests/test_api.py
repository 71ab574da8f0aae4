from __future__ import annotations

import pytest

from environments.models import Environment
from features.tests.factories import FeatureFactory
from projects.tests.factories import ProjectFactory
from segments.models import Condition, ConditionOperator, Segment, SegmentRule
from segments.tests.factories import ConditionFactory, SegmentFactory, SegmentRuleFactory, beta_rules

pytestmark = pytest.mark.django_db

# A valid value for every operator, so one segment can use them all.
VALID_VALUES = {
    ConditionOperator.EQUAL: "pro",
    ConditionOperator.NOT_EQUAL: "free",
    ConditionOperator.GREATER_THAN: "1.2.3:semver",
    ConditionOperator.GREATER_THAN_INCLUSIVE: "10",
    ConditionOperator.LESS_THAN: "2.0.0-beta.1+build.5:semver",
    ConditionOperator.LESS_THAN_INCLUSIVE: "3.5",
    ConditionOperator.CONTAINS: "@example.com",
    ConditionOperator.NOT_CONTAINS: "test",
    ConditionOperator.REGEX: r"^[a-z]+\d{2,}$",
    ConditionOperator.MODULO: "2|0",
    ConditionOperator.IN: "gb,fr,de",
    ConditionOperator.IS_SET: None,
    ConditionOperator.IS_NOT_SET: None,
    ConditionOperator.PERCENTAGE_SPLIT: "33.5",
}


def segments_url(project, segment=None):
    base = f"/api/v1/projects/{project.id}/segments/"
    return base if segment is None else f"{base}{segment.id}/"


def counts():
    return Segment.objects.count(), SegmentRule.objects.count(), Condition.objects.count()


def every_operator_rules():
    """ALL → [ANY with half the operators, NONE → [ALL with the rest]]: three levels deep."""
    conditions = [
        {
            "operator": operator.value,
            "property": None if operator == ConditionOperator.PERCENTAGE_SPLIT else f"trait_{index}",
            "value": VALID_VALUES[operator],
            "description": f"uses {operator.value}",
        }
        for index, operator in enumerate(ConditionOperator)
    ]
    return [
        {
            "type": "ALL",
            "conditions": [],
            "rules": [
                {"type": "ANY", "rules": [], "conditions": conditions[:7]},
                {
                    "type": "NONE",
                    "conditions": [],
                    "rules": [{"type": "ALL", "rules": [], "conditions": conditions[7:]}],
                },
            ],
        }
    ]


def strip_ids(rules):
    """The tree as sent: ids and server-side fields removed."""
    return [
        {
            "type": rule["type"],
            "rules": strip_ids(rule["rules"]),
            "conditions": [
                {key: c[key] for key in ("operator", "property", "value", "description")} for c in rule["conditions"]
            ],
        }
        for rule in rules
    ]


def normalised(rules):
    """What a GET returns for a tree sent without descriptions (they come back null)."""
    return [
        {
            "type": rule["type"],
            "rules": normalised(rule.get("rules", [])),
            "conditions": [{"description": None, **c} for c in rule.get("conditions", [])],
        }
        for rule in rules
    ]


# --- Create and read -----------------------------------------------------------------


def test_create_segment__every_operator_nested__201_and_get_returns_the_same_tree(admin_client, project):
    rules = every_operator_rules()

    response = admin_client.post(
        segments_url(project), {"name": "everyone", "description": "all ops", "project": project.id, "rules": rules}
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) >= {"id", "uuid", "name", "description", "project", "feature", "created_date", "rules"}
    assert body["project"] == project.id
    assert strip_ids(body["rules"]) == rules
    assert Condition.objects.count() == len(ConditionOperator)
    segment = Segment.objects.get(pk=body["id"])
    fetched = admin_client.get(segments_url(project, segment)).json()
    assert strip_ids(fetched["rules"]) == rules
    assert fetched == body


def test_create_segment__sibling_order__kept_on_read(admin_client, project):
    rules = [
        {"type": kind, "rules": [], "conditions": [{"operator": "EQUAL", "property": p, "value": "x"} for p in "zay"]}
        for kind in ("NONE", "ALL", "ANY")
    ]

    response = admin_client.post(segments_url(project), {"name": "ordered", "rules": rules})

    assert response.status_code == 201, response.json()
    assert strip_ids(response.json()["rules"]) == normalised(rules)


def test_create_segment__bumps_every_environment_of_the_project(admin_client, project, environment):
    before = Environment.objects.get(pk=environment.pk).updated_at

    response = admin_client.post(segments_url(project), {"name": "beta", "rules": beta_rules()})

    assert response.status_code == 201
    assert Environment.objects.get(pk=environment.pk).updated_at > before


def test_create_segment__deleted_items__left_out(admin_client, project):
    rules = beta_rules()
    rules[0]["rules"][0]["conditions"][0]["delete"] = True
    rules[0]["rules"].append({"type": "ANY", "delete": True, "rules": [], "conditions": []})

    response = admin_client.post(segments_url(project), {"name": "beta", "rules": rules})

    assert response.status_code == 201, response.json()
    [top] = response.json()["rules"]
    [sub] = top["rules"]
    assert [c["operator"] for c in sub["conditions"]] == ["PERCENTAGE_SPLIT"]


def test_create_segment__feature_specific__201(admin_client, project):
    feature = FeatureFactory(project=project)

    response = admin_client.post(segments_url(project), {"name": "f", "feature": feature.id, "rules": beta_rules()})

    assert response.status_code == 201, response.json()
    assert response.json()["feature"] == feature.id


def test_create_segment__feature_of_other_project__400_names_feature(admin_client, project, organisation):
    feature = FeatureFactory(project=ProjectFactory(organisation=organisation))
    before = counts()

    response = admin_client.post(segments_url(project), {"name": "f", "feature": feature.id, "rules": beta_rules()})

    assert response.status_code == 400
    assert "feature" in response.json()
    assert counts() == before


def test_create_segment__project_past_max_segments_allowed__201_as_self_hosted_flagsmith(admin_client, project):
    # Flagsmith 2.265 checks max_segments_allowed only on its SaaS (EDGE_ENABLED), never self-hosted.
    project.max_segments_allowed = 1
    project.save(update_fields=["max_segments_allowed"])
    SegmentFactory(project=project)

    response = admin_client.post(segments_url(project), {"name": "one more", "rules": beta_rules()})

    assert response.status_code == 201, response.json()
    assert Segment.objects.filter(project=project).count() == 2


# --- Validation ----------------------------------------------------------------------


def first_condition_errors(body):
    """Errors of the first condition of the first sub-rule, keyed by index as DRF 3.18 reports lists."""
    return body["rules"]["0"]["rules"]["0"]["conditions"]["0"]


def one_condition(operator, property_="plan", value="x"):
    condition = {"operator": operator, "property": property_, "value": value}
    return [{"type": "ALL", "conditions": [], "rules": [{"type": "ANY", "rules": [], "conditions": [condition]}]}]


# What Banderole refuses of what Flagsmith 2.265 accepts is only what the engine raises on
# (docs/compatibility.md): a regular expression that does not compile, a MODULO divisor of 0.
@pytest.mark.parametrize(
    ("condition", "field"),
    [
        (("BOGUS",), "operator"),
        (("REGEX", "email", "[a-z"), "value"),
        (("REGEX", "email", "(?P<x"), "value"),
        (("MODULO", "age", "0|1"), "value"),
        (("MODULO", "age", "-0.0|0"), "value"),
        (("EQUAL", "plan", "v" * 1001), "value"),
        (("EQUAL", "p" * 1001, "pro"), "property"),
    ],
)
def test_create_segment__bad_condition__400_names_the_condition_field_nothing_written(
    admin_client, project, environment, condition, field
):
    before = counts()
    updated_at = Environment.objects.get(pk=environment.pk).updated_at

    response = admin_client.post(segments_url(project), {"name": "bad", "rules": one_condition(*condition)})

    assert response.status_code == 400, response.json()
    assert field in first_condition_errors(response.json())
    assert counts() == before
    assert Environment.objects.get(pk=environment.pk).updated_at == updated_at


# Flagsmith 2.265 checks no condition value (api/segments/serializers.py): the engine reads
# the text when it evaluates, and what it cannot read simply never matches.
@pytest.mark.parametrize(
    "condition",
    [
        ("EQUAL", "version", "1.2.3:semver"),
        ("NOT_EQUAL", "version", "1.0.0-alpha.1+001:semver"),
        ("CONTAINS", "note", "not a version:semver"),
        ("GREATER_THAN", "version", "1.2:semver"),
        ("LESS_THAN", "version", "01.2.3:semver"),
        ("EQUAL", "version", "v1.2.3:semver"),
        ("PERCENTAGE_SPLIT", None, "0"),
        ("PERCENTAGE_SPLIT", None, "101"),
        ("PERCENTAGE_SPLIT", None, "-1"),
        ("PERCENTAGE_SPLIT", None, "half"),
        ("PERCENTAGE_SPLIT", None, "nan"),
        ("PERCENTAGE_SPLIT", None, None),
        ("PERCENTAGE_SPLIT", "org_id", "50.25"),
        ("PERCENTAGE_SPLIT", "$.identity.key", "50"),
        ("MODULO", "age", "2.5|-1"),
        ("MODULO", "age", "2"),
        ("MODULO", "age", ""),
        ("MODULO", "age", "invalid|value"),
        ("MODULO", "age", "two|0"),
        ("MODULO", "age", "2|"),
        ("MODULO", "age", "2|1|0"),
        ("MODULO", "age", "inf|0"),
        ("MODULO", "age", "0|none"),
        ("IS_SET", "plan", None),
        ("IS_SET", None, None),
        ("IS_NOT_SET", "", None),
        ("PERCENTAGE_SPLIT", "", "100"),
        ("EQUAL", None, "pro"),
        ("EQUAL", "plan", None),
        ("EQUAL", "plan", ""),
        ("EQUAL", "plan", "v" * 1000),
        ("REGEX", "email", ""),
    ],
)
def test_create_segment__any_value_flagsmith_accepts__201_stored_as_sent(admin_client, project, condition):
    response = admin_client.post(segments_url(project), {"name": "ok", "rules": one_condition(*condition)})

    assert response.status_code == 201, response.json()
    stored = Condition.objects.get()
    assert (stored.operator, stored.property, stored.value) == condition


@pytest.mark.parametrize(
    ("sent", "stored"),
    [(True, "True"), (False, "False"), (5, "5"), (1.5, "1.5"), (["gb", "fr"], "['gb', 'fr']"), ({"a": 1}, "{'a': 1}")],
)
def test_create_segment__condition_value_not_a_string__stored_as_flagsmith_stores_it(
    admin_client, project, sent, stored
):
    # Flagsmith keeps str() of the JSON value it is sent, so exports and Terraform states carry such text.
    response = admin_client.post(segments_url(project), {"name": "typed", "rules": one_condition("EQUAL", "p", sent)})

    assert response.status_code == 201, response.json()
    assert Condition.objects.get().value == stored


def test_create_segment__value_limit_setting__applies(admin_client, project, settings):
    settings.SEGMENT_CONDITION_VALUE_LIMIT = 3

    response = admin_client.post(segments_url(project), {"name": "x", "rules": one_condition("EQUAL", "a", "abcd")})

    assert response.status_code == 400
    assert "3 characters" in first_condition_errors(response.json())["value"][0]


def test_create_segment__deleted_condition__not_validated(admin_client, project):
    rules = one_condition("REGEX", "email", "[a-z")
    rules[0]["rules"][0]["conditions"][0]["delete"] = True

    response = admin_client.post(segments_url(project), {"name": "x", "rules": rules})

    assert response.status_code == 201, response.json()
    assert Condition.objects.count() == 0


def many_conditions(count):
    """``count`` conditions spread over two nested rules, so the count is per segment, not per rule."""
    half = count // 2
    make = lambda n: [{"operator": "EQUAL", "property": f"p{i}", "value": "x"} for i in range(n)]  # noqa: E731
    return [
        {
            "type": "ALL",
            "conditions": make(half),
            "rules": [{"type": "ANY", "rules": [], "conditions": make(count - half)}],
        }
    ]


def test_create_segment__more_conditions_than_the_limit__400_nothing_written(admin_client, project):
    before = counts()

    response = admin_client.post(segments_url(project), {"name": "big", "rules": many_conditions(101)})

    assert response.status_code == 400
    assert "at most 100 conditions" in response.json()["rules"][0]
    assert counts() == before


def test_create_segment__exactly_the_condition_limit__201(admin_client, project):
    response = admin_client.post(segments_url(project), {"name": "big", "rules": many_conditions(100)})

    assert response.status_code == 201
    assert Condition.objects.count() == 100


def test_create_segment__rules_nested_too_deep__400(admin_client, project):
    rules: list = []
    for _ in range(40):
        rules = [{"type": "ALL", "rules": rules, "conditions": []}]

    response = admin_client.post(segments_url(project), {"name": "deep", "rules": rules})

    assert response.status_code == 400
    assert "nested" in response.json()["rules"][0]


def test_create_segment__deep_nesting_within_the_cap__round_trips(admin_client, project):
    rules = [{"type": "ANY", "rules": [], "conditions": [{"operator": "IS_SET", "property": "leaf", "value": None}]}]
    for _ in range(9):
        rules = [{"type": "ALL", "rules": rules, "conditions": []}]

    response = admin_client.post(segments_url(project), {"name": "deep", "rules": rules})

    assert response.status_code == 201, response.json()
    assert strip_ids(response.json()["rules"]) == normalised(rules)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"rules": []}, "name"),
        ({"name": "  ", "rules": []}, "name"),
        ({"name": "x"}, "rules"),
        ({"name": "x", "rules": [{"type": "SOME", "rules": [], "conditions": []}]}, "rules"),
        ({"name": "x", "rules": "ALL"}, "rules"),
    ],
)
def test_create_segment__bad_segment_fields__400_names_field(admin_client, project, payload, field):
    before = counts()

    response = admin_client.post(segments_url(project), payload)

    assert response.status_code == 400
    assert field in response.json()
    assert counts() == before


# --- Update and delete -----------------------------------------------------------------


def test_put_segment__replaces_the_whole_tree(admin_client, segment, environment):
    before = Environment.objects.get(pk=environment.pk).updated_at
    rules = [{"type": "ANY", "rules": [], "conditions": [{"operator": "IN", "property": "country", "value": "gb,fr"}]}]

    response = admin_client.put(
        segments_url(segment.project, segment), {"name": "renamed", "project": segment.project_id, "rules": rules}
    )

    assert response.status_code == 200, response.json()
    assert response.json()["name"] == "renamed"
    assert strip_ids(response.json()["rules"]) == normalised(rules)
    assert SegmentRule.objects.filter(segment=segment).count() == 1
    assert list(Condition.objects.values_list("operator", flat=True)) == ["IN"]
    assert Environment.objects.get(pk=environment.pk).updated_at > before


def test_put_segment__invalid_condition__400_old_tree_kept(admin_client, segment):
    old = admin_client.get(segments_url(segment.project, segment)).json()

    response = admin_client.put(
        segments_url(segment.project, segment), {"name": "renamed", "rules": one_condition("REGEX", "email", "(")}
    )

    assert response.status_code == 400
    assert "value" in first_condition_errors(response.json())
    assert admin_client.get(segments_url(segment.project, segment)).json() == old


def test_patch_segment__without_rules__keeps_the_tree(admin_client, segment):
    old = admin_client.get(segments_url(segment.project, segment)).json()

    response = admin_client.patch(segments_url(segment.project, segment), {"description": "beta testers"})

    assert response.status_code == 200, response.json()
    assert response.json()["description"] == "beta testers"
    assert response.json()["rules"] == old["rules"]


def test_patch_segment__with_rules__replaces_the_tree(admin_client, segment):
    rules = one_condition("IS_SET", "plan", None)

    response = admin_client.patch(segments_url(segment.project, segment), {"rules": rules})

    assert response.status_code == 200, response.json()
    assert strip_ids(response.json()["rules"]) == normalised(rules)
    assert list(Condition.objects.values_list("operator", flat=True)) == ["IS_SET"]


def test_patch_segment__empty_rules__tree_removed(admin_client, segment):
    # Flagsmith refuses a segment without rules; Banderole always accepted it (it never matches).
    response = admin_client.patch(segments_url(segment.project, segment), {"rules": []})

    assert response.status_code == 200, response.json()
    assert response.json()["rules"] == []
    assert SegmentRule.objects.count() == 0
    assert Condition.objects.count() == 0


def test_delete_segment__admin__204_tree_gone_environments_bumped(admin_client, segment, environment):
    before = Environment.objects.get(pk=environment.pk).updated_at

    response = admin_client.delete(segments_url(segment.project, segment))

    assert response.status_code == 204
    assert counts() == (0, 0, 0)
    assert Environment.objects.get(pk=environment.pk).updated_at > before


# --- List, filters, query budget ---------------------------------------------------------


def test_list_segments__paginated_and_filtered_by_name(member_client, project):
    SegmentFactory(project=project, name="Beta users")
    SegmentFactory(project=project, name="Staff")
    SegmentFactory(name="beta elsewhere")

    everything = member_client.get(segments_url(project)).json()
    by_q = member_client.get(segments_url(project), {"q": "BETA"}).json()
    by_search = member_client.get(segments_url(project), {"search": "sta"}).json()

    assert set(everything) == {"count", "next", "previous", "results"}
    assert everything["count"] == 2
    assert [s["name"] for s in by_q["results"]] == ["Beta users"]
    assert [s["name"] for s in by_search["results"]] == ["Staff"]


def test_list_segments__include_feature_specific_false__leaves_them_out(member_client, project):
    SegmentFactory(project=project, name="shared")
    SegmentFactory(project=project, name="own", feature=FeatureFactory(project=project))

    response = member_client.get(segments_url(project), {"include_feature_specific": "false"})

    assert [s["name"] for s in response.json()["results"]] == ["shared"]


def add_nested_segment(project, conditions):
    segment = SegmentFactory(project=project)
    top = SegmentRuleFactory(segment=segment)
    child = SegmentRuleFactory(segment=segment, parent=top, type="ANY")
    grandchild = SegmentRuleFactory(segment=segment, parent=child, type="NONE")
    for rule in (top, child, grandchild):
        ConditionFactory.create_batch(conditions, rule=rule)


def test_list_segments__query_count_does_not_grow_with_segments_or_conditions(
    member_client, project, django_assert_max_num_queries
):
    add_nested_segment(project, conditions=1)
    with django_assert_max_num_queries(100) as small:
        member_client.get(segments_url(project), {"page_size": 50})
    for _ in range(10):
        add_nested_segment(project, conditions=3)

    with django_assert_max_num_queries(len(small.captured_queries)):
        response = member_client.get(segments_url(project), {"page_size": 50})

    assert response.json()["count"] == 11
    assert all(len(s["rules"][0]["rules"][0]["rules"]) == 1 for s in response.json()["results"])


# --- Who may do what ---------------------------------------------------------------------


def test_member__reads_but_cannot_write__403(member_client, segment):
    url = segments_url(segment.project, segment)
    before = counts()

    assert member_client.get(url).status_code == 200
    assert member_client.get(segments_url(segment.project)).status_code == 200
    assert member_client.post(segments_url(segment.project), {"name": "x", "rules": []}).status_code == 403
    assert member_client.put(url, {"name": "x", "rules": []}).status_code == 403
    assert member_client.patch(url, {"name": "x"}).status_code == 403
    assert member_client.delete(url).status_code == 403
    assert counts() == before


@pytest.mark.parametrize("client_name", ["outsider_client", "anon_client"])
def test_strangers__every_route__404_outsider_401_anonymous(request, client_name, segment):
    client = request.getfixturevalue(client_name)
    expected = 404 if client_name == "outsider_client" else 401
    url = segments_url(segment.project, segment)
    before = counts()

    assert client.get(segments_url(segment.project)).status_code == expected
    assert client.post(segments_url(segment.project), {"name": "x", "rules": []}).status_code == expected
    assert client.get(url).status_code == expected
    assert client.put(url, {"name": "x", "rules": []}).status_code == expected
    assert client.patch(url, {"name": "x"}).status_code == expected
    assert client.delete(url).status_code == expected
    assert counts() == before


def test_segment_of_other_project__404(admin_client, segment, organisation):
    other = ProjectFactory(organisation=organisation)

    assert admin_client.get(segments_url(other, segment)).status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/projects/{project}/segments/abc/", "/api/v1/projects/abc/segments/"])
def test_non_integer_ids__404(admin_client, segment, path):
    assert admin_client.get(path.format(project=segment.project_id)).status_code == 404

"""Every scope rule selects exactly the rows the oracle says (issue #19, item 6).

`tests/admin/test_admin_scope.py` compares what the pages show with the oracle
(`tests/scope_oracle.py`); this compares the rules themselves, model by model,
so that a rule widened or narrowed for a model no page lists yet (or lists
only to other roles) fails too.
"""
import pytest
from sqlalchemy import inspect, select

from admin.scope_rules import RULES, scope_of, scope_rule
from portal.extensions import db
from tests import builders, scope_oracle
from tests.staff import ROLE_LOGINS, sign_in, staff


def _keys(model, rows):
    columns = inspect(model).primary_key
    return {tuple(getattr(row, column.key) for column in columns) for row in rows}


@pytest.mark.parametrize("role", ["director", "district", "commission", "ministry"])
def test_every_scope_rule_selects_what_the_oracle_says(portal, world, role):
    # A colleague at the director's school and one in the district office: rows the
    # director and the commission must not see, though they share a place with them.
    builders.create_staff_user(role="director", school=world["A"])
    builders.create_staff_user(role="district", district=world["A"].district)
    db.session.commit()
    sign_in(portal.test_client(), "district.go-osh@example.kg")  # a sign-in of another district, in the trail
    scope = scope_of(staff(ROLE_LOGINS[role]))
    wrong = []
    for model in RULES:
        inside, outside = scope_oracle.rows(scope, model)
        selected = _keys(model, db.session.scalars(select(model).where(scope_rule(model, scope))))
        expected = _keys(model, inside)
        if selected != expected:
            wrong.append(f"{model.__name__}: the rule adds {len(selected - expected)} rows the oracle keeps out "
                         f"and leaves out {len(expected - selected)} it lets in")
        if role != "ministry" and model.__name__ in ("School", "Application") and not outside:
            wrong.append(f"{model.__name__}: the world has no row outside the {role}'s scope to tell")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)

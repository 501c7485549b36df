"""Plan-wide settings loaded from the plan file: read where a rule needs them."""

from __future__ import annotations

import json

from sqlalchemy.ext.asyncio import AsyncSession

from domain.dropouts import DueRules
from storage.models import PlanSetting

DROPOUT_DUE = "dropout_cases"


async def dropout_due_rules(session: AsyncSession) -> DueRules:
    """The plan's due days for dropout-case steps; the defaults when no plan set them."""
    row = await session.get(PlanSetting, DROPOUT_DUE)
    if row is None:
        return DueRules()
    data = json.loads(row.value)
    return DueRules(data["acknowledge_days"], data["verify_days"], data["resolve_days"])


async def dropout_due_rules_saved(session: AsyncSession) -> bool:
    """Whether a plan has stored its due days yet."""
    return await session.get(PlanSetting, DROPOUT_DUE) is not None


async def save_dropout_due_rules(session: AsyncSession, rules: DueRules) -> bool:
    """Store the plan's due days; True when they changed."""
    value = json.dumps(
        {
            "acknowledge_days": rules.acknowledge_days,
            "verify_days": rules.verify_days,
            "resolve_days": rules.resolve_days,
        }
    )
    row = await session.get(PlanSetting, DROPOUT_DUE)
    if row is None:
        session.add(PlanSetting(name=DROPOUT_DUE, value=value))
        return True
    if row.value == value:
        return False
    row.value = value
    return True

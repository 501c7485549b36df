"""Refusal texts of the dropouts feature (merged into handlers.refusals.REFUSALS)."""

from bot.i18n import N_

REFUSALS: dict[str, str] = {
    "dropout_case_hidden": N_(
        "Case {case} is not yours to see or change. Only its reporter, the child's township "
        "central school and supervisors see a case. (Rule: who sees a dropout case.)"
    ),
    "dropout_school_only": N_(
        "Only the child's township central school (its unit head and cadres) or a supervisor "
        "takes the steps of case {case}; nothing was changed. (Rule: who acts on a dropout case.)"
    ),
    "dropout_step_not_now": N_(
        "This step cannot be taken now: case {case} has moved on or is closed. Nothing was "
        "changed; send /cases to see where it stands. (Rule: the steps of a case go in order.)"
    ),
    "dropout_bad_reason": N_(
        "\u201c{text}\u201d is not a reason on the list: 贫困 poverty, 学习困难 learning, "
        "务工 work, 婚嫁 marriage, 疾病 illness, 家庭 family, 路远 distance, 其他 other. "
        "(Rule: dropout reasons.)"
    ),
    "dropout_since_future": N_(
        "{date} is in the future: record only what has already happened. (Rule: no future dates.)"
    ),
    "dropout_text_length": N_(
        "Type between 1 and {limit} characters (you typed {length}). "
        "(Rule: length of a case answer.)"
    ),
    "dropout_usage": N_(
        "Send /dropout HOUSEHOLD_CODE CHILD_NAME [reason], or just /dropout to pick from "
        "your list. (Rule: one-line format.)"
    ),
}

__all__ = ["N_", "REFUSALS"]

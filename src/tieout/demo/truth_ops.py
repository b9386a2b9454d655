"""The delivery-planning and marketing anomalies the generator planted (onboarding_overdue,
capacity_risk, unexplained_variance, spend_without_commitment), from the records kept where
each was planted: a slipped or blocked onboarding, a course that over-commits a practice's
week, a target promised too high, a campaign nobody committed to."""

from __future__ import annotations

import numpy as np

from tieout.demo.capacity import Capacity
from tieout.demo.delivery import Delivery
from tieout.demo.fmt import id_list
from tieout.demo.keys import Keys
from tieout.demo.onboarding import Onboarding, milestone_ids
from tieout.demo.plan import Plan
from tieout.demo.truth import Finding, Ref, currency

NO_AMOUNT = (0, "GBP")


def ops_truth(dl: Delivery, cap: Capacity, ob: Onboarding, plan: Plan, keys: Keys) -> list[Finding]:
    milestones = milestone_ids(len(ob.step))
    out = [
        Finding("onboarding_overdue",
                (Ref("salesforce", "onboarding_milestone", milestones[i]),), *NO_AMOUNT)
        for i in np.flatnonzero(ob.overdue).tolist()
    ]  # fmt: skip
    wo = id_list(keys.work_order)
    risk = cap.at_risk[np.lexsort((cap.at_risk, dl.wo_start[cap.at_risk]))]
    out += [
        Finding("capacity_risk", (Ref("salesforce", "WorkOrder", wo[w]),),
                int(dl.wo_value[w]), currency(int(dl.wo_cur[w])))
        for w in risk.tolist()
    ]  # fmt: skip
    campaign = id_list(keys.campaign)
    out += [
        Finding("unexplained_variance",
                (Ref("salesforce", "Campaign", campaign[plan.campaign[i]]),), *NO_AMOUNT)
        for i in plan.varied.tolist()
    ]  # fmt: skip
    out += [
        Finding("spend_without_commitment", (Ref("salesforce", "Campaign", campaign[c]),),
                int(plan.spend[c]), "GBP")
        for c in np.sort(plan.uncommitted).tolist()
    ]  # fmt: skip
    return out

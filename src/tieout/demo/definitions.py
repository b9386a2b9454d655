"""What each rule means, in words: written into truth.json beside the planted anomalies so a
reader can see what a correct reconciliation should raise for each."""

from __future__ import annotations

from typing import Final

DEFINITIONS: Final = {
    "unbilled_work": (
        "Work order Completed or Closed, completed more than 14 days before the as-of date, "
        "billed by no invoice line (voided invoices do not count). Amount: its TotalPrice."
    ),
    "invoice_without_work": (
        "Sales invoice (not a credit note, not voided) that bills no work order, for a customer "
        "with no contract running on the invoice date. Amount: the invoice Total."
    ),
    "scope_drift": (
        "Hours logged on a job's work orders exceed its planned hours (quoted plus priced "
        "changes: the sum of WorkOrder.Duration, canceled ones excluded) by more than 10 %. "
        "Amount: excess hours x planned value / planned hours."
    ),
    "unpriced_change": (
        "work_order_change with priced = false that adds hours. "
        "Amount: hours_delta x the work order's TotalPrice / Duration."
    ),
    "price_variance": (
        "Invoice line unit price differs from its quote line's unit price by more than 2 % "
        "(voided invoices and credit notes excluded). Amount: |difference| x quantity."
    ),
    "discount_after_quote": (
        "Invoice line discount deeper than its quote line's discount (voided invoices and "
        "credit notes excluded). Amount: quantity x unit price x the extra discount."
    ),
    "duplicate_invoice": (
        "Two sales invoices with the same customer, currency and Total, dated within 7 days, "
        "neither voided nor credited. Amount: the later invoice's Total."
    ),
    "margin_below_floor": (
        "Job with every work order finished (completed or closed more than 14 days before the "
        "as-of date, or canceled), invoiced revenue net of credit notes > 0 (excluding tax, "
        "drafts and voided invoices) and (revenue - time cost) / revenue below 15 %. "
        "Amount: time cost - 85 % of revenue."
    ),
    "sla_breach_strategic": (
        "Ticket (ServiceNow incident, Zendesk ticket or Salesforce Case) of a customer whose "
        "Salesforce Account has Tier__c Strategic, opened in the 90 days before the as-of date, "
        "whose resolution clock exceeds its target: business minutes (calendar uk: Europe/London, "
        "Mon-Fri 09:00-17:30, English bank holidays off) from opened to resolved (still open: "
        "to the end of the as-of day), less time On Hold or Pending and time resolved before a "
        "reopen. Targets by priority: 1 strategic 4 h, 1 8 h, 2 16 h, 3 40 h, 4 80 h. "
        "Amount: none."
    ),
    "aged_case_renewal_risk": (
        "Activated contract renewing (EndDate + 1 day) within 90 days after the as-of date, "
        "whose customer has a ticket in any system still open (not resolved, closed or "
        "canceled) that was opened more than 30 days before the as-of date. Refs: the contract "
        "and every such ticket. Amount: Contract_Value__c."
    ),
    "onboarding_overdue": (
        "Onboarding milestone not completed (status not completed and no completed_at) whose "
        "due date is before the as-of date. Amount: none."
    ),
    "repeat_issue": (
        "Three or more tickets of one customer in one system with the same category and the "
        "same topic (ServiceNow category, Zendesk Tags, Case Reason; lower-cased, trimmed), "
        "opened in the 30 days up to the as-of date. Refs: those tickets. Amount: none."
    ),
    "capacity_risk": (
        "Work order New or Scheduled, starting after the as-of date, in a week (Monday to "
        "Sunday) in which its owner's team (User.Department) is over-committed: planned hours "
        "of the team's New, Scheduled, In Progress and On Hold work orders, spread evenly over "
        "their working days, exceed the hours its active people have that week (37.5 a week "
        "or their part-time hours, per working day, less time off). Amount: its TotalPrice."
    ),
    "unexplained_variance": (
        "Target of the approved joint plan (MQLs by campaign cohort and month) whose actual "
        "differs from it by more than 20 % of the target, reviewed (day 10 of the next month) "
        "before the as-of date, with no explanation. A lead's cohort is the campaign of its "
        "earliest CampaignMember row. Refs: the Campaign. Amount: none."
    ),
    "spend_without_commitment": (
        "Campaign with ActualCost > 0 that started within the joint plan's periods (its first "
        "to last target month) or in the 180 days up to the as-of date, that the plan has no "
        "commitment for and whose CRM record has neither ExpectedResponse nor "
        "ExpectedRevenue. Amount: ActualCost."
    ),
}

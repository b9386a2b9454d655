"""The service anomalies the generator planted (sla_breach_strategic, aged_case_renewal_risk,
repeat_issue), from the records kept while planting them (`service_plants`, `service_time`)."""

from __future__ import annotations

import numpy as np

from tieout.demo import service as sv
from tieout.demo.company import Company
from tieout.demo.fmt import BoolArray, IntArray, id_list
from tieout.demo.keys import Keys
from tieout.demo.sales import Sales
from tieout.demo.service_plants import renewing_contracts
from tieout.demo.service_time import ServiceTimes
from tieout.demo.truth import Finding, Ref, currency

NO_AMOUNT = (0, "GBP")


def _refs(service: sv.Service, keys: Keys) -> tuple[list[Ref], list[Ref], list[Ref]]:
    """Ticket refs of each system (ServiceNow, Zendesk, Salesforce cases), by index."""
    cases = id_list(keys.case)
    return (
        [Ref("servicenow", "incident", f"INC{n:07d}") for n in service.servicenow.number.tolist()],
        [Ref("zendesk", "ticket", str(n)) for n in service.zendesk.number.tolist()],
        [Ref("salesforce", "Case", c) for c in cases],
    )


def _numbers(service: sv.Service) -> tuple[IntArray, IntArray, IntArray]:
    return service.servicenow.number, service.zendesk.number, service.cases.number


def service_truth(
    company: Company, sales: Sales, service: sv.Service, times: ServiceTimes, keys: Keys
) -> list[Finding]:
    """The three service rules, in rule order, each in a stable order."""
    refs, numbers = _refs(service, keys), _numbers(service)
    out = []
    for system, over in enumerate(times.over):
        hit = _by_number(np.flatnonzero(over), numbers[system])
        out += [Finding("sla_breach_strategic", (refs[system][i],), *NO_AMOUNT) for i in hit]
    contracts = id_list(keys.contract)
    renewing = renewing_contracts(sales)
    for a in times.aged:
        for k in renewing[sales.k_cust[renewing] == a.customer].tolist():
            value = int(sales.k_fee[k] * sales.k_term[k] * 100)
            ref = (Ref("salesforce", "Contract", contracts[k]), refs[a.system][a.ticket])
            cur = currency(int(company.cust_currency[a.customer]))
            out.append(Finding("aged_case_renewal_risk", ref, value, cur))
    for system, group in times.repeats:
        tickets = tuple(refs[system][i] for i in _by_number(group, numbers[system]))
        out.append(Finding("repeat_issue", tickets, *NO_AMOUNT))
    return out


def _by_number(idx: IntArray | BoolArray, number: IntArray) -> list[int]:
    idx = np.asarray(idx, dtype=np.int64)
    result: list[int] = idx[np.argsort(number[idx], kind="stable")].tolist()
    return result

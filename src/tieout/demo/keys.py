"""Native keys of every generated record: Salesforce ids, Xero line keys, change ids.

Salesforce ids rise with each record's creation time, as in a real org; the exports and the
ground truth both read them from here, so they can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from tieout.demo.billing import Billing
from tieout.demo.catalogue import PRODUCTS
from tieout.demo.company import Company
from tieout.demo.delivery import Delivery
from tieout.demo.fmt import blank_where, i64, ints, join, padded
from tieout.demo.marketing import Campaigns, Leads
from tieout.demo.sales import Sales
from tieout.demo.service import Service
from tieout.demo.vec import ids_in_time_order


@dataclass
class Keys:
    account: pa.Array
    user: pa.Array
    product: pa.Array
    opportunity: pa.Array
    opp_line: pa.Array
    quote: pa.Array
    quote_line: pa.Array
    contract: pa.Array
    campaign: pa.Array
    member: pa.Array
    lead: pa.Array
    case: pa.Array
    work_order: pa.Array
    wo_line: pa.Array
    contact: pa.Array  # per member row with a contact, else null
    change: pa.Array  # canonical work_order_change native ids
    invoice_line: pa.Array  # "INV-0001/1": invoice number / line within it


def build_keys(
    rng: np.random.Generator,
    company: Company,
    sales: Sales,
    dl: Delivery,
    billing: Billing,
    service: Service,
    campaigns: Campaigns,
    leads: Leads,
) -> Keys:
    def ids(prefix: str, created: object) -> pa.Array:
        return ids_in_time_order(rng, prefix, i64(created))

    codes, inverse = np.unique(np.maximum(leads.m_contact, 0), return_inverse=True)
    contact_ids = ids("003", np.arange(len(codes))).take(pa.array(inverse))
    contact = blank_where(contact_ids, leads.m_contact < 0)
    return Keys(
        account=ids("001", company.cust_created),
        user=ids("005", np.arange(len(company.people))),
        product=ids("01t", np.arange(len(PRODUCTS))),
        opportunity=ids("006", sales.opp_created),
        opp_line=ids("00k", sales.opp_created[sales.ol_opp] * 8 + np.arange(len(sales.ol_opp)) % 8),
        quote=ids("0Q0", sales.q_day),
        quote_line=ids("0QL", sales.q_day[sales.ql_quote] * 8 + sales.ql_ord),
        contract=ids("800", sales.k_created),
        campaign=ids("701", campaigns.start),
        member=ids("00v", leads.m_created),
        lead=ids("00Q", leads.created),
        case=ids("500", service.cases.created),
        work_order=ids("0WO", dl.wo_created),
        wo_line=ids("1WL", dl.wo_created[dl.wl_wo]),
        contact=contact,
        change=join("CHG-", padded(np.arange(1, len(dl.ch_wo) + 1), 6)),
        invoice_line=join(
            billing.inv_number.take(pa.array(billing.il_inv)), "/", ints(billing.il_ord)
        ),
    )

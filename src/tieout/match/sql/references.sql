-- Work-order and quote numbers as people type them in invoice references, line
-- descriptions and time-sheet project codes: "WO-00123", "wo 123", "W/O #123",
-- "Work order 123", "Job #123 / PO 4471", "Q-00045", "Quote 45", "00001234".
-- A purchase-order or contract number is the customer's, not ours, and never matches.

CREATE OR REPLACE TEMP MACRO _match_wo_refs(text) AS list_sort(list_distinct(list_transform(
    regexp_extract_all(coalesce(text, ''),
        '(?i)(?:^|[^a-z0-9])(?:wo|w/o|work\s*order|job)\s*(?:no\.?|number|nr\.?)?\s*[-#:.]?\s*#?\s*([0-9]{1,8})(?:[^0-9]|$)', 1),
    lambda x: CAST(x AS BIGINT))));

CREATE OR REPLACE TEMP MACRO _match_quote_refs(text) AS list_sort(list_distinct(list_transform(
    regexp_extract_all(coalesce(text, ''),
        '(?i)(?:^|[^a-z0-9])(?:q|qt|quote|quotation)\s*(?:no\.?|number|nr\.?)?\s*[-#:.]?\s*#?\s*([0-9]{1,8})(?:[^0-9]|$)', 1),
    lambda x: CAST(x AS BIGINT))));

-- A bare zero-padded number (Salesforce auto-numbers are padded): could be either kind.
CREATE OR REPLACE TEMP MACRO _match_bare_refs(text) AS list_sort(list_distinct(list_transform(
    regexp_extract_all(
        regexp_replace(coalesce(text, ''),
            '(?i)(?:wo|w/o|work\s*order|job|q|qt|quote|quotation|po|p\.o\.|purchase\s*order|contract|inv|invoice)\s*(?:no\.?|number|nr\.?)?\s*[-#:.]?\s*#?\s*[0-9]+', ' ', 'g'),
        '(?:^|[^0-9a-z-])(0[0-9]{4,7})(?:[^0-9]|$)', 1),
    lambda x: CAST(x AS BIGINT))));

-- Invoice numbers a credit note points back to.
CREATE OR REPLACE TEMP MACRO _match_invoice_refs(text) AS list_distinct(
    regexp_extract_all(upper(coalesce(text, '')), '(INV-?[0-9]+)', 1));

-- Work-order and quote numbers as people type them in invoice references, line
-- descriptions and time-sheet project codes: "WO-00123", "wo 123", "W/O #123", "W.O. 123",
-- "Work order 123", "Job #123 / PO 4471", "Q-00045", "Quote 45", "00001234".
-- A purchase-order or contract number is the customer's, not ours, and never matches;
-- "Q3 2025" and "FY2025 Q2" are quarters, not quotes. Each ends at a word boundary, so
-- references one character apart ("WO-1/WO-2") are all found.

CREATE OR REPLACE TEMP MACRO _match_unquartered(text) AS regexp_replace(regexp_replace(
    coalesce(text, ''),
    '(?i)\bq[1-4]\s*(?:fy)?\s*''?[0-9]{2,4}\b', ' ', 'g'),
    '(?i)\bfy\s*''?[0-9]{2,4}\s*q[1-4]\b', ' ', 'g');

CREATE OR REPLACE TEMP MACRO _match_wo_refs(text) AS list_sort(list_distinct(list_transform(
    regexp_extract_all(_match_unquartered(text),
        '(?i)\b(?:wo|w\s*/\s*o|w\.\s*o\.?|work[\s-]*order|job)\s*(?:no\.?|number|nr\.?)?\s*[-#:.]?\s*#?\s*([0-9]{1,8})\b', 1),
    lambda x: CAST(x AS BIGINT))));

CREATE OR REPLACE TEMP MACRO _match_quote_refs(text) AS list_sort(list_distinct(list_transform(
    regexp_extract_all(_match_unquartered(text),
        '(?i)\b(?:q|qt|quote|quotation)\s*(?:no\.?|number|nr\.?)?\s*[-#:.]?\s*#?\s*([0-9]{1,8})\b', 1),
    lambda x: CAST(x AS BIGINT))));

-- A bare zero-padded number (Salesforce auto-numbers are padded): could be either kind.
CREATE OR REPLACE TEMP MACRO _match_bare_refs(text) AS list_sort(list_distinct(list_transform(
    regexp_extract_all(
        regexp_replace(_match_unquartered(text),
            '(?i)(?:\b(?:wo|w\s*/\s*o|w\.\s*o\.?|work[\s-]*order|job|q|qt|quote|quotation|po|p\.\s*o\.?|purchase\s*order|contract|inv|invoice|tel|phone|mob|fax)\b\.?|\+)\s*(?:no\.?|number|nr\.?)?\s*[-#:.]?\s*#?\s*[0-9][0-9 ]*', ' ', 'g'),
        '(?:^|[^0-9a-zA-Z-])(0[0-9]{4,7})\b', 1),
    lambda x: CAST(x AS BIGINT))));

-- Invoice numbers a credit note points back to, spelled one way: INV-<digits>.
CREATE OR REPLACE TEMP MACRO _match_invoice_refs(text) AS list_sort(list_distinct(list_transform(
    regexp_extract_all(upper(coalesce(text, '')), '\bINV[-\s#]*([0-9]+)\b', 1),
    lambda x: 'INV-' || x)));

-- Totals an export lacks, computed from its lines and flagged in derived_value.
-- Salesforce Data Export has no Quote Subtotal/TotalPrice and no WorkOrder(LineItem)
-- TotalPrice: they are formula fields. A line's subtotal is quantity x unit price; its
-- total takes off the line's discount (per cent); a header's totals are its lines' sums.
CREATE TABLE derived_value (target_table VARCHAR, id VARCHAR, column_name VARCHAR, rule VARCHAR);

INSERT INTO derived_value
SELECT 'quote_line', id, 'subtotal', 'quantity x unit_price'
FROM quote_line WHERE subtotal IS NULL AND quantity IS NOT NULL AND unit_price IS NOT NULL;
UPDATE quote_line SET subtotal = CAST(round(quantity * unit_price, 2) AS DECIMAL(18,2))
WHERE subtotal IS NULL AND quantity IS NOT NULL AND unit_price IS NOT NULL;

INSERT INTO derived_value
SELECT 'quote_line', id, 'total_price', 'subtotal less discount_pct'
FROM quote_line WHERE total_price IS NULL AND subtotal IS NOT NULL;
UPDATE quote_line
SET total_price = CAST(round(subtotal * (100 - coalesce(discount_pct, 0)) / 100, 2) AS DECIMAL(18,2))
WHERE total_price IS NULL AND subtotal IS NOT NULL;

INSERT INTO derived_value
SELECT 'work_order_line', id, 'total_price', 'quantity x unit_price less discount_pct'
FROM work_order_line WHERE total_price IS NULL AND quantity IS NOT NULL AND unit_price IS NOT NULL;
UPDATE work_order_line
SET total_price = CAST(round(
    CAST(round(quantity * unit_price, 2) AS DECIMAL(18,2)) * (100 - coalesce(discount_pct, 0)) / 100,
    2) AS DECIMAL(18,2))
WHERE total_price IS NULL AND quantity IS NOT NULL AND unit_price IS NOT NULL;

INSERT INTO derived_value
SELECT 'opportunity_line', id, 'total_price', 'quantity x unit_price less discount_pct'
FROM opportunity_line WHERE total_price IS NULL AND quantity IS NOT NULL AND unit_price IS NOT NULL;
UPDATE opportunity_line
SET total_price = CAST(round(
    CAST(round(quantity * unit_price, 2) AS DECIMAL(18,2)) * (100 - coalesce(discount_pct, 0)) / 100,
    2) AS DECIMAL(18,2))
WHERE total_price IS NULL AND quantity IS NOT NULL AND unit_price IS NOT NULL;

INSERT INTO derived_value
SELECT 'quote', q.id, c.column_name, 'sum of its quote lines'
FROM quote AS q, (VALUES ('subtotal'), ('total_price')) AS c(column_name)
WHERE CASE c.column_name WHEN 'subtotal' THEN q.subtotal ELSE q.total_price END IS NULL
  AND EXISTS (
    SELECT 1 FROM quote_line AS l
    WHERE l.quote_native_id = q.native_id AND l.source_system = q.source_system
  );
UPDATE quote SET
    subtotal = coalesce(subtotal, (
        SELECT sum(l.subtotal) FROM quote_line AS l
        WHERE l.quote_native_id = quote.native_id AND l.source_system = quote.source_system)),
    total_price = coalesce(total_price, (
        SELECT sum(l.total_price) FROM quote_line AS l
        WHERE l.quote_native_id = quote.native_id AND l.source_system = quote.source_system))
WHERE subtotal IS NULL OR total_price IS NULL;

INSERT INTO derived_value
SELECT 'work_order', w.id, 'planned_value', 'sum of its work order lines'
FROM work_order AS w
WHERE w.planned_value IS NULL AND EXISTS (
    SELECT 1 FROM work_order_line AS l
    WHERE l.work_order_native_id = w.native_id AND l.source_system = w.source_system
);
UPDATE work_order SET planned_value = (
    SELECT sum(l.total_price) FROM work_order_line AS l
    WHERE l.work_order_native_id = work_order.native_id
      AND l.source_system = work_order.source_system)
WHERE planned_value IS NULL AND EXISTS (
    SELECT 1 FROM work_order_line AS l
    WHERE l.work_order_native_id = work_order.native_id
      AND l.source_system = work_order.source_system);

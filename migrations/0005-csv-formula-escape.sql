-- Per template: whether cells a spreadsheet would read as a formula are defused. The default
-- ('none') keeps every existing file byte for byte what Blower reads today; 'quote' prefixes such
-- a cell with an apostrophe (docs/csv-export.md, "Formula injection").
ALTER TABLE csv_templates ADD COLUMN formula_escape text NOT NULL DEFAULT 'none'
  CHECK (formula_escape IN ('none', 'quote'));

-- The printer-resident font a station's printer draws Chinese with (issue 17), as ZPL `^A@`
-- names it (`E:SIMSUN.TTF`). NULL: the printer has none, and Chinese text goes to it as
-- `^GF` graphics of the hub's own font.
ALTER TABLE print_stations ADD COLUMN printer_font TEXT;

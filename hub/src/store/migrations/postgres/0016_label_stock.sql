-- Label stock and printhead resolution (issue 15). A station declares its printer's stock and
-- resolution beside its language (`format`); its agent reports the language and resolution it
-- really drives (`agent_format`, `agent_dpi`, NULL until it has), and those win. A job keeps
-- the stock and resolution it is rendered in.
ALTER TABLE print_stations ADD COLUMN stock TEXT NOT NULL DEFAULT '4x6';
ALTER TABLE print_stations ADD COLUMN dpi BIGINT NOT NULL DEFAULT 203;
ALTER TABLE print_stations ADD COLUMN agent_format TEXT;
ALTER TABLE print_stations ADD COLUMN agent_dpi BIGINT;
ALTER TABLE print_jobs ADD COLUMN stock TEXT NOT NULL DEFAULT '4x6';
ALTER TABLE print_jobs ADD COLUMN dpi BIGINT NOT NULL DEFAULT 203;

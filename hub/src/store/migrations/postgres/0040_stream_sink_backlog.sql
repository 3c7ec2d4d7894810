-- Event streams, per sink (issue 22): a broker that is down no longer holds the others.
--
-- `events.streamed_at` now means "taken by the relay": the relay publishes a batch to every
-- sink that is up and, in the same transaction that marks the batch, parks its ids here for
-- each sink that failed (or is still catching up). A sink with parked events is served from
-- here, oldest first, until none is left, and only then from the events again, so each sink
-- keeps commit order on its own. Rows are deleted under the relay's lease once the sink
-- confirmed them. A pure id cursor per sink would lose an event that commits after a later id
-- was relayed (concurrent transactions on PostgreSQL): parked ids are exact.
CREATE TABLE stream_sink_backlog (
    sink     TEXT NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (sink, event_id)
);
